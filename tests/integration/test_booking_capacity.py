"""Capacity under concurrency and redelivery: never over, waitlist in request order."""

import asyncio
from typing import Any

from shared.contract import booking as bk
from shared.natsserver import EmbeddedNatsServer
from tests.support.booking import BookingHarness, booking_service, citizen


async def publish_raw(h: BookingHarness, request: bk.BookingRequested, msg_id: str) -> None:
    await h.js.publish(request.subject(), request.model_dump_json().encode(), headers={"Nats-Msg-Id": msg_id})


async def sixty_for_twelve(h: BookingHarness, copies: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    await h.send(h.workshop("w-60", capacity=12))
    await h.wait_for("booking.workshop_scheduled", count=1)
    requests = [
        bk.BookingRequested(request_id=f"r-{n:02d}", workshop_id="w-60", citizen=citizen(n), origin="hub")
        for n in range(60)
    ]
    # Each copy has its own Nats-Msg-Id so JetStream keeps it: the service really receives every
    # request `copies` times, as after a redelivery or a front-end retry past the dedupe window.
    await asyncio.gather(*(
        publish_raw(h, r, f"{r.event_id}/{copy}") for copy in range(copies) for r in requests
    ))
    outcomes = await h.wait_for("booking.confirmed", "booking.waitlisted", "booking.rejected", count=60)
    stream_order = [e["request_id"] for e in await h.events("booking.requested")]
    return outcomes, stream_order


def assert_twelve_then_waitlist(outcomes: list[dict[str, Any]], stream_order: list[str]) -> None:
    assert len(outcomes) == 60, "one outcome per request, not one per delivery"
    assert len({e["request_id"] for e in outcomes}) == 60
    confirmed = [e for e in outcomes if e["type"] == "booking.confirmed"]
    waitlisted = [e for e in outcomes if e["type"] == "booking.waitlisted"]
    assert (len(confirmed), len(waitlisted)) == (12, 48)
    first_seen = list(dict.fromkeys(stream_order))  # order in which the owner received them
    assert {e["request_id"] for e in confirmed} == set(first_seen[:12])
    by_position = sorted(waitlisted, key=lambda e: e["position"])
    assert [e["position"] for e in by_position] == list(range(1, 49))
    assert [e["request_id"] for e in by_position] == first_seen[12:]


async def test_sixty_requests_for_twelve_seats(nats_server: EmbeddedNatsServer, database_url: str) -> None:
    async with booking_service(nats_server.url, database_url, max_active_bookings=5) as h:
        outcomes, order = await sixty_for_twelve(h, copies=1)
        assert_twelve_then_waitlist(outcomes, order)


async def test_sixty_requests_each_delivered_three_times(nats_server: EmbeddedNatsServer, database_url: str) -> None:
    async with booking_service(nats_server.url, database_url) as h:
        outcomes, order = await sixty_for_twelve(h, copies=3)
        assert len(order) == 180
        assert_twelve_then_waitlist(outcomes, order)
        # The outcomes of the duplicates would have been published by now if any had been decided.
        await h.send(bk.BookingRequested(request_id="sentinel", workshop_id="w-60", citizen=citizen(500)))
        await h.wait_for("booking.waitlisted", count=49)
        assert len(await h.events("booking.confirmed", "booking.waitlisted")) == 61
