"""A tiny asyncio HTTP/1.1 server for ops endpoints: /metrics, /healthz, /readyz and a few extra GETs."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from urllib.parse import parse_qsl, urlsplit

import prometheus_client
from prometheus_client import CollectorRegistry

Response = tuple[int, str, bytes]
Route = Callable[[dict[str, str]], Awaitable[Response]]
Readiness = Callable[[], Awaitable[tuple[bool, str]]]

_TEXT = "text/plain; charset=utf-8"
_HEAD_LIMIT = 16 * 1024
_BODY_DRAIN_LIMIT = 64 * 1024
# A client that never finishes its request must not hold a connection (and a task) forever.
_READ_TIMEOUT = 10.0


class BadRequest(Exception):
    pass


class OpsServer:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        registry: CollectorRegistry = prometheus_client.REGISTRY,
        readiness: Readiness | None = None,
        routes: dict[str, Route] | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self._registry = registry
        self._readiness = readiness
        self._routes: dict[str, Route] = {
            "/metrics": self._metrics,
            "/healthz": self._healthz,
            "/readyz": self._readyz,
            **(routes or {}),
        }
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, self.host, self.port, limit=_HEAD_LIMIT)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        # Python 3.11's wait_closed() does not wait for open connections: close them ourselves.
        for writer in list(self._writers):
            writer.close()
        await self._server.wait_closed()
        self._server = None

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            status, content_type, body = await self._answer(reader)
            await _write(writer, status, content_type, body)
        except (ConnectionError, asyncio.IncompleteReadError, TimeoutError):
            pass  # the client went away or stalled: nobody to answer
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _answer(self, reader: asyncio.StreamReader) -> Response:
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), _READ_TIMEOUT)
            method, target, headers = _parse_head(head)
        except (BadRequest, asyncio.LimitOverrunError, ValueError):
            return 400, _TEXT, b"bad request\n"
        except asyncio.IncompleteReadError as exc:
            if not exc.partial:
                raise
            return 400, _TEXT, b"bad request\n"
        if method != "GET":
            await _drain_body(reader, headers)
            return 405, _TEXT, b"method not allowed\n"
        parts = urlsplit(target)
        route = self._routes.get(parts.path)
        if route is None:
            return 404, _TEXT, b"not found\n"
        try:
            return await route(dict(parse_qsl(parts.query)))
        except Exception as exc:  # a broken route must not take the ops server down with it
            return 500, _TEXT, f"internal error: {type(exc).__name__}\n".encode()

    async def _metrics(self, _query: dict[str, str]) -> Response:
        # Collected on the loop on purpose: custom collectors may read loop-owned state.
        return 200, prometheus_client.CONTENT_TYPE_LATEST, prometheus_client.generate_latest(self._registry)

    async def _healthz(self, _query: dict[str, str]) -> Response:
        return 200, _TEXT, b"ok\n"

    async def _readyz(self, _query: dict[str, str]) -> Response:
        try:
            ready, reason = (True, "ready") if self._readiness is None else await self._readiness()
        except Exception as exc:  # a probe that cannot tell means "not ready", not "server error"
            ready, reason = False, f"readiness check failed: {exc!r}"
        return (200 if ready else 503), _TEXT, reason.encode() + b"\n"


def _parse_head(head: bytes) -> tuple[str, str, dict[str, str]]:
    lines = head.decode("ascii").split("\r\n")  # UnicodeDecodeError is a ValueError: 400
    request_line = lines[0].split(" ")
    if len(request_line) != 3 or not request_line[2].startswith("HTTP/1.") or not request_line[1]:
        raise BadRequest(lines[0])
    headers: dict[str, str] = {}
    for line in filter(None, lines[1:]):
        name, sep, value = line.partition(":")
        if not sep or not name.strip():
            raise BadRequest(line)
        headers[name.strip().lower()] = value.strip()
    return request_line[0], request_line[1], headers


async def _drain_body(reader: asyncio.StreamReader, headers: dict[str, str]) -> None:
    # Closing with unread bytes makes the kernel send RST, and the client may never see our 405.
    length = headers.get("content-length", "")
    if length.isdigit() and 0 < int(length) <= _BODY_DRAIN_LIMIT:
        await asyncio.wait_for(reader.readexactly(int(length)), _READ_TIMEOUT)


async def _write(writer: asyncio.StreamWriter, status: int, content_type: str, body: bytes) -> None:
    head = (
        f"HTTP/1.1 {status} {_phrase(status)}\r\n"
        f"Content-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\n" + ("Allow: GET\r\n" if status == 405 else "") + "Connection: close\r\n\r\n"
    )
    writer.write(head.encode("ascii") + body)
    await writer.drain()


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:  # a route may use a code the stdlib does not name
        return "Status"
