"""E-mail through a real SMTP server: French text, a calendar invitation, and its cancellation."""

from collections.abc import AsyncIterator
from datetime import timedelta

import icalendar
import pytest_asyncio

from shared.contract import booking as bk
from shared.natsserver import EmbeddedNatsServer
from tests.support.notifications import SmtpSink, cancelled, confirmed, contact, notifications_service, workshop


@pytest_asyncio.fixture
async def smtp() -> AsyncIterator[SmtpSink]:
    sink = SmtpSink()
    await sink.start()
    try:
        yield sink
    finally:
        await sink.stop()


def calendar_of(message: object) -> icalendar.Calendar:
    parts = [p for p in message.iter_attachments() if p.get_content_type() == "text/calendar"]  # type: ignore[attr-defined]
    assert len(parts) == 1
    return icalendar.Calendar.from_ical(parts[0].get_content())


async def test_confirmation_with_invitation_then_cancellation_removes_it(
    nats_server: EmbeddedNatsServer, database_url: str, smtp: SmtpSink
) -> None:
    async with notifications_service(nats_server.url, database_url, smtp_host="127.0.0.1",
                                     smtp_port=smtp.port) as h:
        w = workshop("w-internet", h.clock() + timedelta(days=3))
        await h.publish(
            contact("cit-000001", "email", email="jeanne@example.org", display_name="Mme Durand"),
            w, confirmed("b-1", "cit-000001", w),
        )
        await h.run()
        [mail] = smtp.to("jeanne@example.org")
        assert "Votre place est réservée" in mail["Subject"]
        text = mail.get_body(("plain",)).get_content()
        assert "Bonjour Mme Durand," in text
        assert "l'atelier « Premiers pas sur Internet »" in text
        assert "le vendredi 4 décembre 2026, de 10 h à 12 h" in text  # 9:00 UTC = 10 h in Paris
        assert "Pôle numérique de Carcassonne" in text
        invite = calendar_of(mail)
        assert invite["METHOD"] == "REQUEST"
        [event] = invite.walk("VEVENT")
        assert event["UID"] == "b-1@maillage.test"
        assert event.decoded("DTSTART") == w.starts_at and event.decoded("DTEND") == w.ends_at
        assert "Premiers pas sur Internet" in str(event["SUMMARY"])
        assert "Salle 1" in str(event["LOCATION"])

        await h.publish(cancelled("b-1", "cit-000001", w))
        await h.run()
        mails = smtp.to("jeanne@example.org")
        assert len(mails) == 2
        cancel = calendar_of(mails[1])
        assert cancel["METHOD"] == "CANCEL"
        [cancelled_event] = cancel.walk("VEVENT")
        assert cancelled_event["UID"] == event["UID"]
        assert int(cancelled_event["SEQUENCE"]) > int(event["SEQUENCE"])
        assert cancelled_event["STATUS"] == "CANCELLED"
        assert "annulée" in mails[1]["Subject"]
        assert mails[0]["Message-ID"] != mails[1]["Message-ID"]

        # No reminder follows a cancellation.
        for _ in range(4):
            await h.advance_and_run(timedelta(hours=20))
        assert len(smtp.to("jeanne@example.org")) == 2


async def test_waitlist_then_promotion_and_an_appointment_with_a_mediator(
    nats_server: EmbeddedNatsServer, database_url: str, smtp: SmtpSink
) -> None:
    async with notifications_service(nats_server.url, database_url, smtp_host="127.0.0.1",
                                     smtp_port=smtp.port) as h:
        w = workshop("w-full", h.clock() + timedelta(days=2), site="trebes")
        slot = h.clock() + timedelta(days=5)
        await h.publish(
            contact("cit-000001", "email", email="lea@example.org"), w,
            bk.BookingWaitlisted(request_id="r-1", booking_id="b-1", site="trebes", workshop_id="w-full",
                                 starts_at=w.starts_at, position=1, citizen={"citizen_id": "cit-000001"}),
            bk.ResourceAdded(request_id="r-m", resource_id="trebes-mediateur", site="trebes", kind="mediator",
                             name="Rendez-vous avec un médiateur numérique"),
            bk.BookingConfirmed(request_id="r-2", booking_id="b-2", site="trebes", resource_id="trebes-mediateur",
                                starts_at=slot, ends_at=slot + timedelta(minutes=45),
                                citizen={"citizen_id": "cit-000001"}),
        )
        await h.run()
        await h.publish(bk.BookingPromoted(request_id="r-1", booking_id="b-1", site="trebes", workshop_id="w-full",
                                           starts_at=w.starts_at, ends_at=w.ends_at,
                                           citizen={"citizen_id": "cit-000001"}))
        await h.run()
        by_subject = {str(m["Subject"]).split(" :")[0]: m for m in smtp.to("lea@example.org")}
        assert set(by_subject) == {"Liste d'attente", "Votre place est réservée", "Bonne nouvelle"}
        assert not list(by_subject["Liste d'attente"].iter_attachments())  # no seat, no calendar entry
        assert "Tiers-lieu de Trèbes" in by_subject["Liste d'attente"].get_body(("plain",)).get_content()
        appointment = by_subject["Votre place est réservée"].get_body(("plain",)).get_content()
        assert "votre rendez-vous avec un médiateur numérique" in appointment
        promoted = calendar_of(by_subject["Bonne nouvelle"])
        assert promoted["METHOD"] == "REQUEST" and promoted.walk("VEVENT")[0]["UID"] == "b-1@maillage.test"
