"""Server fixtures shared by test packages: import them into a conftest.py or a test module."""

from collections.abc import AsyncIterator
from pathlib import Path

import pytest_asyncio

from shared.natsserver import EmbeddedNatsServer
from tests.support.nats import start_nats


@pytest_asyncio.fixture
async def nats_server(tmp_path: Path) -> AsyncIterator[EmbeddedNatsServer]:
    server = await start_nats(tmp_path)
    try:
        yield server
    finally:
        await server.stop()
