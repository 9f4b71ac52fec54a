"""Fault 10: the JetStream store of a site runs out of space under load. As root (CI), its directory is
a small tmpfs that a ballast file fills up — a real "no space left on device"; otherwise, the site's
stream is filled to its limit. Users are never told "recorded" for what was not stored (their
publishes are refused or go unanswered), decisions wait in the outbox, and once space returns
everything resumes with nothing acknowledged lost.

Measured with nats-server 2.15.1 on a real full disk: the stream keeps a sticky write error — even
after space returns, publishes to it time out until nats-server restarts (``update_stream`` and a
SIGHUP do not clear it). Freeing space is therefore followed by a restart of the site's server."""

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from nats.js.errors import APIError

from maillage import registry
from maillage.node import Node, connect
from shared.natsserver import EmbeddedNatsServer
from shared.topology import origin_stream_name
from tests.support import observe
from tests.support.workload import Workload, length

SITE = "trebes"
STREAM = origin_stream_name(SITE)
LOAD = length(2.0, 30.0)
ROOT = os.geteuid() == 0


class Ballast:
    """Something else eats the space: a file on the store's own small disk, or (without root) junk
    in the site's stream up to its byte limit."""

    def __init__(self, store: Path) -> None:
        self.file = store / "ballast"

    async def fill(self, js: observe.JetStreamContext) -> None:
        if ROOT:
            return fill_up(self.file)
        with contextlib.suppress(APIError):
            while True:
                await js.publish(f"tl.{SITE}.ballast.padding", b"\0" * 4096, timeout=5)

    async def free(self, js: observe.JetStreamContext, server: EmbeddedNatsServer) -> None:
        if ROOT:
            self.file.unlink()
            await server.stop()  # the only way to clear the stream's sticky write error
            await server.start()
        else:
            await js.purge_stream(STREAM, subject=f"tl.{SITE}.ballast.>")


def fill_up(file: Path) -> None:
    with file.open("wb") as out, contextlib.suppress(OSError):
        while True:
            out.write(b"\0" * 65536)
            out.flush()


@contextlib.contextmanager
def small_disk(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True)
    if not ROOT:
        yield
        return
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(folder)], check=True)
    try:
        yield
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=True)


@pytest.mark.slow
async def test_a_site_whose_store_is_full(tmp_path: Path) -> None:
    store = tmp_path / SITE / "nats" / "jetstream"
    # On the 16 MiB tmpfs the disk must fill, not a stream: 4 MiB holds the soak's ~1,900 requests and
    # their outcomes (2 MiB did not: the soak then failed on the stream limit, not on the disk), and the
    # site's two streams still fit the store's reservation.
    settings: dict[str, Any] = {"site": SITE, "data_dir": tmp_path / SITE, "metrics_port": 0, "dashboard_port": 0,
                "stream_max_bytes": (4 if ROOT else 1) * 1024**2}
    with small_disk(store):
        node = Node(registry.SERVICES["booking"][0](**settings), registry.definitions(["booking"], **settings))
        await node.start()
        try:
            nc, js = await connect(node.nats_url, "test-front-end")
            users = Workload({SITE: (nc, js)}, publish_timeout=1.0)
            await users.start()
            verdict, unsure = await fill_and_free(users, node, Ballast(store))
            await users.stop()
            await nc.close()
        finally:
            await node.stop()
    print(verdict.report(), f"told refused/unsure while full: {unsure}", "tmpfs" if ROOT else "stream limit")
    assert verdict.ok, verdict.report()


async def fill_and_free(users: Workload, node: Node, ballast: Ballast) -> tuple[observe.Verdict, int]:
    js = users.fronts[SITE][1]
    await users.open_workshops(6, capacity=5, node=SITE)
    users.start_load(rate=60)
    await users.more_acked(60)
    await ballast.fill(js)
    # No false success: with the store full, users are refused (stream limit) or get no answer (disk).
    await users.unsure(10) if ROOT else await users.refused(10)
    unsure = sum(1 for s in users.sent.values() if s.status != "acked")
    assert node.embedded is not None
    await ballast.free(js, node.embedded)
    await users.more_acked(int(60 * LOAD))
    await users.stop_load()
    scene = observe.Scene(js, [STREAM], [observe.Drain(js, STREAM, "booking")],
                          [node.settings.database_url_for("booking")])
    return await observe.verdict(users, scene, timeout=90), unsure
