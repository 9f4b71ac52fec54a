"""Fault 9: clocks that disagree between sites — one an hour ahead, one fifteen minutes behind, the
hub right. The same scripted day (bookings from everywhere, waitlists, cancellations, promotions) ends
in the same state as with clocks that agree, and every answer's hybrid logical clock follows its cause.

``maillage.node.Node`` builds its services with the machine's clock; until it takes one (see the
report), the skewed nodes are built by swapping the ``RunningService`` it constructs."""

import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from maillage import node as node_module
from shared.contract import booking as bk
from shared.hlc import HybridClock
from shared.service import RunningService, utc_now
from tests.faults.test_link_flapping import SITES
from tests.support import observe
from tests.support.bus import eventually, stream_events
from tests.support.faultkit import network_scene, users_of
from tests.support.multinode import network
from tests.support.workload import SOAK, Workload

SKEW = {"trebes": timedelta(hours=1), "conques": -timedelta(minutes=15)}
CAPACITY = 3


def skewed_service(definition: Any, settings: Any, nc: Any, js: Any, now: Callable[[], datetime] = utc_now,
                   **extra: Any) -> RunningService:
    offset = SKEW.get(settings.site, timedelta(0))
    service = RunningService(definition, settings, nc, js, now=lambda: now() + offset, **extra)
    skew_ms = int(offset.total_seconds() * 1000)
    service.clock = HybridClock(wall_ms=lambda: time.time_ns() // 1_000_000 + skew_ms)
    return service


async def quiet(users: Workload, scene: observe.Scene) -> None:
    await eventually(lambda: observe.drained(scene), lambda busy: not busy, 60, "the network to settle")


async def scripted_day(users: Workload, scene: observe.Scene) -> None:
    """Per workshop: six people ask (four where it is held, two from elsewhere), then one of the three
    confirmed cancels: whatever the order, three seated, two waiting, one cancelled."""
    owners = {"hub": "h0", "trebes": "t0", "conques": "c0"}
    for owner, workshop in owners.items():
        await users.schedule(owner, workshop, owner, CAPACITY)
    await quiet(users, scene)
    n = 0
    for owner, workshop in owners.items():
        others = [node for node in owners if node != owner]
        for node in [owner] * 4 + (["hub"] * 2 if owner != "hub" else others):
            n += 1
            await users.book(node, workshop, n)
    await quiet(users, scene)
    events = await stream_events(scene.js, scene.streams[0])
    for owner, workshop in owners.items():
        first = min((e for e in events if e["type"] == "booking.confirmed" and e["workshop_id"] == workshop),
                    key=lambda e: e["booking_id"])
        await users.send(owner, bk.CancelRequested(booking_id=first["booking_id"],
                                                   citizen_id=first["citizen"]["citizen_id"]))
    await quiet(users, scene)


# With clocks that agree, the same day is run under ``make soak`` (the default run compares the skewed
# day with the state the rules give, which the agreeing run shows to be the same).
@pytest.mark.slow
@pytest.mark.parametrize("skewed", [True, False][:1 + SOAK], ids=["clocks-skewed", "clocks-agree"][:1 + SOAK])
async def test_clock_skew_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, skewed: bool) -> None:
    if skewed:
        monkeypatch.setattr(node_module, "RunningService", skewed_service)
    async with network(tmp_path, sites=SITES) as net, users_of(net) as users:
        scene = network_scene(net)
        await scripted_day(users, scene)
        verdict = await observe.verdict(users, scene)
    print(verdict.report(), verdict.seats)
    assert verdict.ok, verdict.report()
    expected = Counter(confirmed=CAPACITY, waitlisted=2, cancelled=1)
    assert verdict.seats == {"h0": expected, "t0": expected, "c0": expected}
