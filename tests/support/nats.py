"""Starting embedded nats-servers for tests: free loopback ports, stores under the test's tmp_path."""

from pathlib import Path
from typing import Any
from uuid import uuid4

from shared.natsserver import EmbeddedNatsServer, NatsServerConfig


async def start_nats(tmp_path: Path, **config_overrides: Any) -> EmbeddedNatsServer:
    """Start a JetStream server; the caller owns it and must `await server.stop()`."""
    name = config_overrides.pop("server_name", None) or f"test-{uuid4().hex[:8]}"
    settings: dict[str, Any] = {"store_dir": tmp_path / name / "store", "host": "127.0.0.1", "port": 0}
    settings.update(config_overrides)
    server = EmbeddedNatsServer(NatsServerConfig(server_name=name, **settings))
    await server.start()
    return server
