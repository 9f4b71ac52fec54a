"""The ops HTTP server over real loopback sockets: metrics, probes, routing and hostile input."""

import asyncio
import contextlib
import urllib.request
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter

from shared.httpserver import OpsServer, Response


@dataclass
class Readiness:
    ready: bool = False
    reason: str = "nats: not connected"

    async def __call__(self) -> tuple[bool, str]:
        return self.ready, self.reason


async def _echo(query: dict[str, str]) -> Response:
    return 200, "text/plain", f"site={query.get('site')}".encode()


async def _broken(_query: dict[str, str]) -> Response:
    raise RuntimeError("boom")


@pytest.fixture
def readiness() -> Readiness:
    return Readiness()


@pytest.fixture
def registry() -> CollectorRegistry:
    return CollectorRegistry()


@pytest_asyncio.fixture
async def ops(registry: CollectorRegistry, readiness: Readiness) -> AsyncIterator[OpsServer]:
    server = OpsServer(registry=registry, readiness=readiness, routes={"/echo": _echo, "/broken": _broken})
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def _exchange(server: OpsServer, raw: bytes) -> tuple[int, dict[str, str], bytes]:
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(raw)
        await writer.drain()
        data = await asyncio.wait_for(reader.read(), timeout=5)
    finally:
        writer.close()
        await writer.wait_closed()
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode().split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in header_lines)}
    return int(status_line.split(" ")[1]), headers, body


async def _get(server: OpsServer, path: str) -> tuple[int, dict[str, str], bytes]:
    return await _exchange(server, f"GET {path} HTTP/1.1\r\nHost: localhost\r\n\r\n".encode())


async def test_metrics_expose_the_given_registry(ops: OpsServer, registry: CollectorRegistry) -> None:
    Counter("maillage_test_bookings", "Bookings seen by the test", registry=registry).inc(3)

    def fetch() -> tuple[int, str, bytes]:
        with urllib.request.urlopen(f"{ops.url}/metrics", timeout=5) as resp:
            return resp.status, resp.headers["Content-Type"], resp.read()

    status, content_type, body = await asyncio.to_thread(fetch)

    assert (status, content_type) == (200, CONTENT_TYPE_LATEST)
    assert b"maillage_test_bookings_total 3.0" in body


async def test_healthz_answers_ok(ops: OpsServer) -> None:
    status, headers, body = await _get(ops, "/healthz")
    assert (status, body, headers["connection"]) == (200, b"ok\n", "close")


async def test_readyz_follows_the_readiness_check(ops: OpsServer, readiness: Readiness) -> None:
    status, _, body = await _get(ops, "/readyz")
    assert (status, body) == (503, b"nats: not connected\n")

    readiness.ready, readiness.reason = True, "ready"

    status, _, body = await _get(ops, "/readyz")
    assert (status, body) == (200, b"ready\n")


async def test_extra_routes_get_query_params_and_failures_stay_contained(ops: OpsServer) -> None:
    assert (await _get(ops, "/echo?site=lannion&x=1"))[::2] == (200, b"site=lannion")
    assert (await _get(ops, "/broken"))[0] == 500
    assert (await _get(ops, "/healthz"))[0] == 200


async def test_unknown_path_is_404(ops: OpsServer) -> None:
    assert (await _get(ops, "/nope"))[0] == 404


async def test_non_get_is_405_even_with_a_body(ops: OpsServer) -> None:
    status, headers, _ = await _exchange(ops, b"POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello")
    assert (status, headers["allow"]) == (405, "GET")


@pytest.mark.parametrize(
    "garbage",
    [
        b"\x00\xff\xfe garbage\r\n\r\n",
        b"GET\r\n\r\n",
        b"GET /metrics SPDY/3\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nno-colon-here\r\n\r\n",
        b"A" * 20_000 + b"\r\n\r\n",
    ],
)
async def test_garbage_gets_400_and_the_server_keeps_serving(ops: OpsServer, garbage: bytes) -> None:
    status, _, _ = await _exchange(ops, garbage)
    assert status == 400
    assert (await _get(ops, "/healthz"))[0] == 200


async def test_truncated_request_then_hang_up_does_not_kill_the_server(ops: OpsServer) -> None:
    _, writer = await asyncio.open_connection("127.0.0.1", ops.port)
    writer.write(b"GET /heal")
    await writer.drain()
    writer.close()
    await writer.wait_closed()
    assert (await _get(ops, "/healthz"))[0] == 200


async def test_stop_releases_the_port(registry: CollectorRegistry) -> None:
    server = OpsServer(registry=registry)
    await server.start()
    port = server.port
    assert port != 0
    await server.stop()
    with pytest.raises(OSError):
        await asyncio.open_connection("127.0.0.1", port)


async def test_stop_does_not_wait_for_a_stalled_client(registry: CollectorRegistry) -> None:
    server = OpsServer(registry=registry)
    await server.start()
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    writer.write(b"GET /healthz HTTP/1.1\r\n")  # never finishes its headers
    await writer.drain()

    await asyncio.wait_for(server.stop(), timeout=2)

    # EOF or RST (our bytes were still unread when it closed): either way the server let go.
    with contextlib.suppress(ConnectionResetError):
        assert await asyncio.wait_for(reader.read(), timeout=2) == b""
    writer.close()
    with contextlib.suppress(ConnectionResetError):
        await writer.wait_closed()
