"""Fault 4: events out of order (a cancellation before its booking) and events coming back after
JetStream's dedupe window. The inbox turns a copy into a no-op; without it (the mutant) the checker
sees requests applied twice. Last, the minimal reproduction of a bug the checker found: a second
cancellation is answered "not yours" once the service has restarted."""

import pytest

from services.booking.answers import new_booking_id
from shared.contract import booking as bk
from shared.natsserver import EmbeddedNatsServer
from shared.topology import origin_stream_name
from tests.support import mutants, observe
from tests.support.bus import eventually
from tests.support.faultkit import in_process
from tests.support.workload import Workload, citizen, length

LOAD = length(2.0, 60.0)
STREAM = origin_stream_name("hub")


async def shorten_dedupe_window(hub: Workload, seconds: float) -> None:
    js = hub.fronts["hub"][1]
    config = (await js.stream_info(STREAM)).config
    config.duplicate_window = seconds
    await js.update_stream(config)


async def publish_again(hub: Workload, request: bk.BookingRequested) -> bool:
    """The same event, same ``Nats-Msg-Id``: True once JetStream stored it (its window has passed)."""
    ack = await hub.fronts["hub"][1].publish(request.subject(), request.model_dump_json().encode(),
                                             headers={"Nats-Msg-Id": request.request_id})
    return not ack.duplicate


@pytest.mark.slow
@pytest.mark.parametrize("mutation", [None, "skips-the-inbox"], ids=["maillage", "mutant"])
async def test_reordered_and_republished_events(
    hub: Workload, nats_server: EmbeddedNatsServer, database_url: str, mutation: str | None,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if mutation:
        mutants.apply(mutation, monkeypatch.setattr)
    async with in_process(nats_server.url, database_url, "booking"):
        await hub.open_workshops(6, capacity=4)
        booking = bk.BookingRequested(request_id="early", workshop_id="w0", citizen=citizen(0), origin="hub")
        cancel = await hub.send("hub", bk.CancelRequested(booking_id=new_booking_id("early"), citizen_id="cit-000000"))
        await observe.answer(hub.fronts["hub"][1], STREAM, cancel.request_id)
        await hub.send("hub", booking)
        await observe.answer(hub.fronts["hub"][1], STREAM, booking.request_id)

        await shorten_dedupe_window(hub, 0.5)
        await eventually(lambda: publish_again(hub, booking), bool, 10, "the dedupe window to pass")
        hub.echo = 0.3  # and a third of the load comes back once more
        hub.start_load(rate=120)
        await hub.more_acked(int(120 * LOAD))
        await hub.stop_load()
        verdict = await observe.verdict(hub, observe.lone_hub(hub.fronts["hub"][1], database_url))
    print(verdict.report(), f"echoed={hub.echoed}")
    if mutation is None:
        assert verdict.ok, verdict.report()
    else:
        assert verdict.applied_twice, "without the inbox, events stored twice are applied twice"


async def test_a_second_cancellation_is_not_active_even_after_a_restart(
    hub: Workload, nats_server: EmbeddedNatsServer, database_url: str
) -> None:
    """Found by the checker under crashes: a cancelled booking is not loaded back from the database,
    so after a restart a second cancellation is refused with ``not_yours`` ("this booking belongs to
    someone else") instead of ``not_active`` — the answer depended on the service's cache."""
    js = hub.fronts["hub"][1]
    async with in_process(nats_server.url, database_url, "booking"):
        await hub.open_workshops(1, capacity=3)
        booked = await hub.book("hub", "w0", 1)
        booking_id = (await observe.answer(js, STREAM, booked.request_id))["booking_id"]
        first = await hub.send("hub", bk.CancelRequested(booking_id=booking_id, citizen_id="cit-000001"))
        assert (await observe.answer(js, STREAM, first.request_id))["type"] == "booking.cancelled"
    async with in_process(nats_server.url, database_url, "booking"):
        again = await hub.send("hub", bk.CancelRequested(booking_id=booking_id, citizen_id="cit-000001"))
        second = await observe.answer(js, STREAM, again.request_id)
    assert (second["type"], second["reason"]) == ("booking.command_rejected", "not_active"), second["detail"]
