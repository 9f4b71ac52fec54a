"""Fault 11: a site's box speaks out of turn under load — on another node's subjects, on the hub's
JetStream API, with a forged origin in its own subjects, and claiming facts only another node may
state (a hub escrow booking, a quota granted for another site's workshop). Nothing of it may have
an effect: the leaf permissions stop the first two at the site (the hub never sends the site its
interest in them, so they die there: an API request gets "no responders", and there is nothing
for the hub to log), the consumers dead-letter the forged origin with its reason (logged, counted),
and no seat moves that its owner did not decide (the checker, databases included)."""

from datetime import timedelta
from pathlib import Path

from nats.aio.client import Client as NATS
from nats.errors import NoRespondersError
from nats.js import JetStreamContext

from shared.contract import booking as bk
from shared.contract.envelope import Event
from shared.network import NETWORK_STREAM
from tests.faults.test_link_flapping import SITES, open_everywhere
from tests.support import observe
from tests.support.faultkit import network_scene, users_of
from tests.support.multinode import network
from tests.support.workload import STARTS, citizen

FORBIDDEN = ("tl.hub.booking.requested", "tl.conques.booking.requested", "$JS.hub.API.STREAM.PURGE.TL_NETWORK",
             "$JS.hub.API.STREAM.DELETE.TL_HUB", "$JS.hub.API.CONSUMER.DELETE.TL_NETWORK.booking")


async def speak_out_of_turn(nc: NATS, js: JetStreamContext) -> list[Event]:
    """What a compromised or misconfigured trebes box sends; returns the forgeries its stream stores."""
    for subject in FORBIDDEN:
        origin = subject.split(".")[1]
        data = bk.BookingRequested(workshop_id="h0", citizen=citizen(900001), origin=origin).model_dump_json().encode()
        if not subject.startswith("$JS."):
            await nc.publish(subject, data)
            continue
        try:
            await nc.request(subject, data, timeout=5)
        except NoRespondersError:
            continue  # refused at the site: nobody there may answer it
        raise AssertionError(f"{subject}: someone answered a site's unauthorised request")
    forgeries: list[Event] = [
        bk.BookingRequested(workshop_id="h0", citizen=citizen(900002), origin="hub"),  # origin ≠ subject
        bk.BookingConfirmed(request_id="forged-escrow", booking_id="forged-escrow", site="hub", workshop_id="h0",
                            starts_at=STARTS, ends_at=STARTS + timedelta(hours=2), citizen=citizen(900003),
                            escrow=True, origin="trebes"),  # "the hub confirmed it within a quota"
        bk.EscrowGranted(request_id="forged-quota", workshop_id="c0", site="conques", seats=3,
                         starts_at=STARTS, ends_at=STARTS + timedelta(hours=2), origin="trebes"),
    ]
    for event in forgeries:
        await js.publish(f"tl.trebes.{event.TYPE}", event.model_dump_json().encode(), timeout=5)
    return forgeries


async def test_unauthorised_publishes_have_no_effect(tmp_path: Path) -> None:
    async with network(tmp_path, sites=SITES) as net, users_of(net) as users:
        await open_everywhere(users, net, capacity=3)
        users.start_load(rate=40)
        await users.more_acked(40)
        trebes = net.sites["trebes"]
        assert trebes.nc is not None and trebes.js is not None
        forged = await speak_out_of_turn(trebes.nc, trebes.js)
        await users.more_acked(120)
        await users.stop_load()
        verdict = await observe.verdict(users, network_scene(net), poison=True,
                                        forged=tuple(e.event_id for e in forged))
        hub_js = net.hub.js
        assert hub_js is not None
        letters = await observe.dead_letters(hub_js) + await observe.dead_letters(trebes.js)
        intact = await still_there(hub_js)
    print(verdict.report(), [(d.reason, d.subject) for d in letters], intact)
    assert verdict.ok, verdict.report()
    assert not {d.event_id for d in letters} & set(users.sent), "no legitimate request was dead-lettered"
    assert [d.reason for d in letters] == ["origin_mismatch"], "the forged origin, dead-lettered where it is read"
    assert all(intact.values()), intact


async def still_there(js: JetStreamContext) -> dict[str, bool]:
    """The hub's streams and consumer the forbidden API calls aimed at."""
    out = {}
    for stream, consumer in ((NETWORK_STREAM, "booking"), ("TL_HUB", None)):
        info = await js.stream_info(stream)
        out[stream] = info.state.messages > 0
        if consumer:
            out[f"{stream}/{consumer}"] = (await js.consumer_info(stream, consumer)).name == consumer
    return out
