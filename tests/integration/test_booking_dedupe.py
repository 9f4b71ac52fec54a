"""The same request delivered twice has one effect, inside and after JetStream's dedupe window."""

from shared.contract import booking as bk
from shared.natsserver import EmbeddedNatsServer
from tests.support.booking import booking_service, citizen


async def test_same_event_twice_has_one_effect(nats_server: EmbeddedNatsServer, database_url: str) -> None:
    async with booking_service(nats_server.url, database_url) as h:
        await h.send(h.workshop("w-dup", capacity=5))
        request = bk.BookingRequested(workshop_id="w-dup", citizen=citizen(1), origin="hub")
        body = request.model_dump_json().encode()

        # Inside the window JetStream drops the copy itself.
        first = await h.js.publish(request.subject(), body, headers={"Nats-Msg-Id": request.request_id})
        again = await h.js.publish(request.subject(), body, headers={"Nats-Msg-Id": request.request_id})
        assert again.duplicate and again.seq == first.seq
        # After the window (simulated by a fresh message id) the copy reaches the service: the inbox drops it.
        await h.js.publish(request.subject(), body, headers={"Nats-Msg-Id": "after-the-window"})
        assert len(await h.events("booking.requested")) == 2

        # A later, different request proves both copies were consumed before we count.
        await h.send(bk.BookingRequested(request_id="later", workshop_id="w-dup", citizen=citizen(2)))
        await h.wait_for("booking.confirmed", count=2)
        confirmed = await h.events("booking.confirmed")
        assert [e["request_id"] for e in confirmed] == [request.request_id, "later"]
        assert await h.events("booking.rejected") == []


async def test_a_new_event_reusing_a_request_id_is_answered_duplicate(
    nats_server: EmbeddedNatsServer, database_url: str
) -> None:
    async with booking_service(nats_server.url, database_url) as h:
        await h.send(h.workshop("w-dup2", capacity=5))
        await h.send(bk.BookingRequested(request_id="same", workshop_id="w-dup2", citizen=citizen(1)))
        await h.wait_for("booking.confirmed", count=1)
        retry = bk.BookingRequested(request_id="same", workshop_id="w-dup2", citizen=citizen(1), origin="hub")
        await h.js.publish(retry.subject(), retry.model_dump_json().encode(), headers={"Nats-Msg-Id": retry.event_id})
        rejected = await h.wait_for("booking.rejected", count=1)
        assert rejected[0]["reason"] == "duplicate"
        assert len(await h.events("booking.confirmed")) == 1
