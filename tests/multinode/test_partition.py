"""Hub and two sites on loopback; site links through proxies the tests cut (DESIGN §1, §3, §4)."""

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from maillage.node import Node
from shared import network as net
from shared.contract import attendance as att
from shared.contract import booking as bk
from shared.contract.envelope import Request
from shared.requests import publish_request
from shared.topology import origin_stream_name
from tests.support.bus import eventually, of_type, stream_events
from tests.support.multinode import make_ca, network

STARTS = datetime.now(UTC) + timedelta(days=2)
SOURCE_RETRY_MAX = 150.0  # nats-server's longest wait before it retries a source, plus a margin


def citizen(n: int) -> dict[str, Any]:
    return {"citizen_id": f"cit-{n:06d}", "age_bracket": "soixante_dix_plus", "commune_insee": "11397"}


async def send(node: Node, request: Request) -> None:
    assert node.js is not None
    await publish_request(node.js, request.model_copy(update={"origin": node.settings.site}))


def workshop(workshop_id: str, site: str, capacity: int) -> bk.WorkshopScheduleRequested:
    return bk.WorkshopScheduleRequested(
        workshop_id=workshop_id, site=site, room="Salle", title="Atelier", themes=["email"],
        starts_at=STARTS, ends_at=STARTS + timedelta(hours=2), capacity=capacity,
    )


async def events(node: Node, stream: str, *types: str) -> list[dict[str, Any]]:
    assert node.js is not None
    found = await stream_events(node.js, stream)
    return of_type(found, *types) if types else found


async def test_a_cut_off_site_keeps_working_and_the_hub_converges(tmp_path: Path) -> None:
    async with network(tmp_path) as n:
        hub, trebes, conques = n.hub, n.sites["trebes"], n.sites["conques"]
        await send(trebes, workshop("w-trebes", "trebes", capacity=500))
        await send(conques, workshop("w-conques", "conques", capacity=10))
        await eventually(lambda: events(hub, net.NETWORK_STREAM, "booking.workshop_scheduled"),
                         lambda e: len(e) == 2, 30, "both sites' workshops at the hub")

        n.proxies["trebes"].cut()
        for i in range(500):  # 500 requests + 500 outcomes = 1,000 events produced offline
            await send(trebes, bk.BookingRequested(request_id=f"t{i}", workshop_id="w-trebes", citizen=citizen(i)))
        confirmed = await eventually(lambda: events(trebes, "TL_TREBES", "booking.confirmed"),
                                     lambda e: len(e) == 500, 60, "trebes deciding offline")
        await send(trebes, att.CheckInRequested(booking_id=confirmed[0]["booking_id"]))
        await eventually(lambda: events(trebes, "TL_TREBES", "attendance.checked_in"), lambda e: len(e) == 1)
        # Meanwhile conques and the hub carry on.
        await send(conques, bk.BookingRequested(request_id="c1", workshop_id="w-conques", citizen=citizen(9000)))
        await eventually(lambda: events(hub, net.NETWORK_STREAM, "booking.confirmed"),
                         lambda e: [x["request_id"] for x in e] == ["c1"], 30, "conques' booking at the hub")
        seen = await eventually(hub.links, lambda ls: not ls[1].up, 30, "the cut seen within 30 s")
        links = {link.site: link for link in seen}
        assert links["conques"].up and not links["trebes"].up

        n.proxies["trebes"].restore()
        at_site = await events(trebes, "TL_TREBES")
        assert len(at_site) >= 1002

        async def trebes_at_hub() -> list[dict[str, Any]]:
            return [e for e in await events(hub, net.NETWORK_STREAM) if e["_subject"].startswith("tl.trebes.")]

        arrived = await eventually(trebes_at_hub, lambda e: len(e) >= len(at_site), 60, "convergence")
        assert [e["event_id"] for e in arrived] == [e["event_id"] for e in at_site], "same ids, same order, once"
        links = {link.site: link for link in await eventually(hub.links, lambda ls: all(x.up for x in ls), 30)}
        assert links["trebes"].waiting == 0


async def test_a_site_cannot_speak_for_another(tmp_path: Path) -> None:
    async with network(tmp_path, sites=("trebes",)) as n:
        hub, trebes = n.hub, n.sites["trebes"]
        assert trebes.nc is not None and hub.js is not None
        # Raw publishes at the site on subjects that are not its own: the leaf link refuses them.
        for subject in ("tl.hub.booking.requested", "tl.conques.booking.requested", "$JS.hub.API.STREAM.DELETE.TL_HUB"):
            await trebes.nc.publish(subject, b"{}")
        # A forged origin inside the site's own subject reaches the hub but is refused there, with a reason.
        forged = workshop("w-forged", "hub", 5).model_copy(update={"origin": "hub"})
        await trebes.nc.publish("tl.trebes.booking.workshop_schedule_requested", forged.model_dump_json().encode())
        sched = bk.WorkshopScheduled(request_id="x", workshop_id="w-f", site="hub", room="r", title="t",
                                     themes=["email"], level="debutant", starts_at=STARTS,
                                     ends_at=STARTS + timedelta(hours=1), capacity=3, origin="hub")
        assert trebes.js is not None
        await trebes.js.publish("tl.trebes.booking.workshop_scheduled", sched.model_dump_json().encode())
        await send(trebes, workshop("w-real", "trebes", 5))  # a legitimate event behind them

        await eventually(lambda: events(hub, net.NETWORK_STREAM, "booking.workshop_scheduled"),
                         lambda e: any(x["workshop_id"] == "w-real" for x in e), 30, "the legitimate event")
        assert (await hub.js.stream_info(origin_stream_name("hub"))).state.messages == 0
        assert (await hub.js.stream_info("TL_DLQ")).state.messages >= 1
        letter = await hub.js.get_msg("TL_DLQ", 1)
        assert letter.headers is not None and letter.headers["Maillage-Reason"] == "origin_mismatch"
        assert json.loads(letter.data)["origin"] == "hub"


async def test_last_seat_race_while_cut_off(tmp_path: Path) -> None:
    async with network(tmp_path, sites=("trebes",)) as n:
        hub, trebes = n.hub, n.sites["trebes"]
        await send(trebes, workshop("w-last", "trebes", capacity=1))
        await eventually(lambda: events(hub, net.NETWORK_STREAM, "booking.workshop_scheduled"), lambda e: len(e) == 1)

        n.proxies["trebes"].cut()
        await send(trebes, att.WalkInRequested(request_id="walk", workshop_id="w-last", citizen=citizen(1)))
        await send(hub, bk.BookingRequested(request_id="web", workshop_id="w-last", citizen=citizen(2)))
        pending = await eventually(lambda: events(hub, "TL_HUB", "booking.request_pending"), lambda e: len(e) == 1)
        assert pending[0]["request_id"] == "web" and pending[0]["owner_site"] == "trebes"
        await eventually(lambda: events(trebes, "TL_TREBES", "attendance.checked_in"), lambda e: len(e) == 1)

        n.proxies["trebes"].restore()
        answer = await eventually(lambda: events(hub, net.NETWORK_STREAM, "booking.waitlisted", "booking.confirmed"),
                                  lambda e: any(x["request_id"] == "web" for x in e), 60, "the owner's answer")
        web = next(x for x in answer if x["request_id"] == "web")
        assert web["type"] == "booking.waitlisted", "the loser is told; the seat is not sold twice"
        assert web["origin"] == "trebes"


async def test_hub_restart_and_a_reinstalled_site(tmp_path: Path) -> None:
    async with network(tmp_path, sites=("trebes",)) as n:
        hub, trebes = n.hub, n.sites["trebes"]
        await send(trebes, workshop("w-before", "trebes", capacity=5))
        before = await eventually(lambda: events(hub, net.NETWORK_STREAM, "booking.workshop_scheduled"),
                                  lambda e: len(e) == 1, 30, "the first workshop at the hub")

        # The hub restarts (its nats-server included) while the site keeps working.
        await hub.stop()
        await send(trebes, workshop("w-during", "trebes", capacity=5))
        await hub.start()
        # A source whose far end was away is retried by nats-server after 10 s, then 10 s more per failed
        # attempt, up to 2 min (stream.go calculateRetryBackoff): on a loaded machine that is the wait.
        await eventually(lambda: events(hub, net.NETWORK_STREAM, "booking.workshop_scheduled"),
                         lambda e: len(e) == 2, SOURCE_RETRY_MAX, "what the site did while the hub was down")

        # The site box is replaced: an empty store joins again under the same name.
        await trebes.stop()
        import shutil

        shutil.rmtree(trebes.settings.data_dir)
        trebes.nc = trebes.js = trebes.embedded = None
        trebes.running = []
        await trebes.start()
        await send(trebes, workshop("w-after", "trebes", capacity=5))
        final = await eventually(lambda: events(hub, net.NETWORK_STREAM, "booking.workshop_scheduled"),
                                 lambda e: len(e) >= 3, SOURCE_RETRY_MAX, "the reinstalled site's first event")
        ids = [e["workshop_id"] for e in final]
        assert sorted(ids) == ["w-after", "w-before", "w-during"], ids
        assert before[0]["event_id"] in {e["event_id"] for e in final}


async def test_site_links_over_tls_with_a_local_ca(tmp_path: Path) -> None:
    tls = make_ca(tmp_path / "pki")
    async with network(tmp_path, sites=("trebes",), tls=tls) as n:
        assert "tls" in n.hub.embedded.config.render() if n.hub.embedded else False
        await send(n.sites["trebes"], workshop("w-tls", "trebes", capacity=5))
        await eventually(lambda: events(n.hub, net.NETWORK_STREAM, "booking.workshop_scheduled"),
                         lambda e: len(e) == 1, 30, "an event over the TLS link")


async def test_escrow_quota_lets_the_hub_confirm_within_it_only(tmp_path: Path) -> None:
    async with network(tmp_path, sites=("trebes",)) as n:
        hub, trebes = n.hub, n.sites["trebes"]
        await send(trebes, workshop("w-esc", "trebes", capacity=3))
        await send(trebes, bk.EscrowGrantRequested(workshop_id="w-esc", seats=2))
        await eventually(lambda: events(hub, net.NETWORK_STREAM, "booking.escrow_granted"), lambda e: len(e) == 1)

        n.proxies["trebes"].cut()
        for i in range(3):
            await send(hub, bk.BookingRequested(request_id=f"web{i}", workshop_id="w-esc", citizen=citizen(100 + i)))
        await send(trebes, att.WalkInRequested(request_id="walk1", workshop_id="w-esc", citizen=citizen(1)))
        await send(trebes, att.WalkInRequested(request_id="walk2", workshop_id="w-esc", citizen=citizen(2)))
        at_hub = await eventually(
            lambda: events(hub, "TL_HUB", "booking.confirmed", "booking.request_pending"), lambda e: len(e) == 3
        )
        assert [(e["type"], e["request_id"]) for e in at_hub] == [
            ("booking.confirmed", "web0"), ("booking.confirmed", "web1"), ("booking.request_pending", "web2"),
        ]
        assert all(e["escrow"] for e in at_hub if e["type"] == "booking.confirmed")
        at_site = await eventually(
            lambda: events(trebes, "TL_TREBES", "attendance.checked_in", "attendance.command_rejected"),
            lambda e: len(e) == 2,
        )
        assert [(e["request_id"], e["type"]) for e in at_site] == [
            ("walk1", "attendance.checked_in"), ("walk2", "attendance.command_rejected"),  # escrowed seats held
        ]

        n.proxies["trebes"].restore()
        decided = await eventually(lambda: events(hub, net.NETWORK_STREAM, "booking.waitlisted"),
                                   lambda e: any(x["request_id"] == "web2" for x in e), 60, "web2 decided at trebes")
        assert decided[0]["origin"] == "trebes"
        assert trebes.running[0].engine is not None
        async with trebes.running[0].engine.connect() as conn:
            from sqlalchemy import text

            seated = (await conn.execute(text(
                "select count(*) from booking_bookings where workshop_id='w-esc' and status in ('confirmed','attended')"
            ))).scalar()
        assert seated == 3, "two escrow seats filled by the hub's bookings + one walk-in; never more than capacity"
