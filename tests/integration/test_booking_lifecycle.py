"""The whole booking lifecycle through real JetStream and a real database."""

from datetime import timedelta

from shared.contract import attendance as att
from shared.contract import booking as bk
from shared.natsserver import EmbeddedNatsServer
from tests.support.booking import booking_service, citizen


async def test_request_waitlist_cancel_promote_check_in_no_show(
    nats_server: EmbeddedNatsServer, database_url: str
) -> None:
    async with booking_service(nats_server.url, database_url) as h:
        await h.send(h.workshop("w-email", capacity=2))
        await h.wait_for("booking.workshop_scheduled", count=1)

        for n in range(3):
            await h.send(bk.BookingRequested(request_id=f"req-{n}", workshop_id="w-email", citizen=citizen(n)))
        confirmed = await h.wait_for("booking.confirmed", count=2)
        waitlisted = await h.wait_for("booking.waitlisted", count=1)
        assert [e["request_id"] for e in confirmed] == ["req-0", "req-1"]
        assert waitlisted[0]["request_id"] == "req-2" and waitlisted[0]["position"] == 1

        first = confirmed[0]["booking_id"]
        await h.send(bk.CancelRequested(booking_id=first, by="citizen", citizen_id="cit-000000"))
        promoted = await h.wait_for("booking.promoted", count=1)
        assert promoted[0]["booking_id"] == waitlisted[0]["booking_id"]
        cancelled = await h.wait_for("booking.cancelled", count=1)
        assert cancelled[0]["booking_id"] == first and cancelled[0]["was"] == "confirmed"

        h.clock.advance(timedelta(days=2, minutes=5))
        await h.send(att.CheckInRequested(booking_id=confirmed[1]["booking_id"]))
        await h.send(att.WalkInRequested(workshop_id="w-email", citizen=citizen(99)))  # full: refused
        refused = await h.wait_for("attendance.command_rejected", count=1)
        assert refused[0]["reason"] == "full"
        await h.send(att.WalkInRequested(workshop_id="w-email", citizen=citizen(99), override_capacity=True))
        checked = await h.wait_for("attendance.checked_in", count=2)
        assert sorted(e["walk_in"] for e in checked) == [False, True]

        await h.send(att.SessionCloseRequested(workshop_id="w-email"))
        closed = await h.wait_for("attendance.session_closed", count=1)
        no_shows = await h.wait_for("attendance.no_show", count=1)
        assert no_shows[0]["booking_id"] == waitlisted[0]["booking_id"]  # promoted, never came
        assert (closed[0]["booked"], closed[0]["attended"], closed[0]["walk_ins"], closed[0]["no_shows"]) == (
            2, 2, 1, 1,
        )
        # Every outcome names its cause, so a front-end can follow a request through.
        assert all(e["causation_id"] for e in confirmed + checked + closed)
        assert all(e["origin_seq"] > 0 for e in confirmed + checked + closed)
