"""Reminders on a fake clock: on time, never for a cancelled booking, moved with the workshop,
delayed by quiet hours, and still there after a restart."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest_asyncio

from services.notifications import app, metrics
from shared.contract import booking as bk
from shared.natsserver import EmbeddedNatsServer
from tests.support.booking import FakeClock
from tests.support.notifications import (
    SmsGateway,
    SmtpSink,
    cancelled,
    confirmed,
    contact,
    notifications_service,
    workshop,
)


@pytest_asyncio.fixture
async def smtp() -> AsyncIterator[SmtpSink]:
    sink = SmtpSink()
    await sink.start()
    try:
        yield sink
    finally:
        await sink.stop()


@pytest_asyncio.fixture
async def gateway() -> AsyncIterator[SmsGateway]:
    gw = SmsGateway()
    await gw.start()
    try:
        yield gw
    finally:
        await gw.stop()


def subjects(smtp: SmtpSink, address: str) -> list[str]:
    return [str(m["Subject"]) for m in smtp.to(address)]


async def test_on_time_never_when_cancelled_moved_with_the_workshop_and_after_a_restart(
    nats_server: EmbeddedNatsServer, database_url: str, smtp: SmtpSink
) -> None:
    clock = FakeClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    mail = {"smtp_host": "127.0.0.1", "smtp_port": smtp.port}
    kept = workshop("w-kept", clock() + timedelta(hours=25))
    moved = workshop("w-moved", clock() + timedelta(hours=25))
    async with notifications_service(nats_server.url, database_url, clock, **mail) as h:
        await h.publish(
            *(contact(f"cit-00000{n}", "email", email=f"p{n}@example.org") for n in (1, 2, 3)), kept, moved,
            confirmed("b-1", "cit-000001", kept), confirmed("b-2", "cit-000002", kept),
            confirmed("b-3", "cit-000003", moved),
        )
        await h.run()
        assert [len(smtp.to(f"p{n}@example.org")) for n in (1, 2, 3)] == [1, 1, 1]  # confirmations
        await h.publish(cancelled("b-2", "cit-000002", kept), bk.WorkshopRescheduled(
            request_id="move", workshop_id="w-moved", site="hub", room="Salle 2",
            starts_at=moved.starts_at + timedelta(days=1), ends_at=moved.ends_at + timedelta(days=1),
        ))
        await h.advance_and_run(timedelta(minutes=59))  # 24 h 01 before: not yet
        assert len(smtp.to("p1@example.org")) == 1
    # The service restarts: what was scheduled is still there.
    async with notifications_service(nats_server.url, database_url, clock, **mail) as h:
        await h.advance_and_run(timedelta(minutes=1))  # exactly 24 h before
        assert subjects(smtp, "p1@example.org")[1] == "Rappel : demain, 11 h"
        assert len(smtp.to("p2@example.org")) == 2  # confirmation, cancellation — no reminder
        moved_mails = subjects(smtp, "p3@example.org")
        assert moved_mails[1].startswith("Changement d'horaire : jeudi 3 décembre 2026 à 11 h")
        assert len(moved_mails) == 2  # no reminder for the old time

        await h.advance_and_run(timedelta(hours=22))  # 2 h before the kept workshop
        assert subjects(smtp, "p1@example.org")[2] == "Rappel : dans 2 heures, 11 h"
        await h.advance_and_run(timedelta(hours=2, minutes=30))  # the kept workshop has started
        await h.advance_and_run(timedelta(hours=21, minutes=30))  # 2 h before the moved one
        assert [s.split(",")[0] for s in subjects(smtp, "p3@example.org")[2:]] == [
            "Rappel : demain", "Rappel : dans 2 heures",
        ]
        assert len(smtp.to("p1@example.org")) == 3 and len(smtp.to("p2@example.org")) == 2


async def test_quiet_hours_delay_an_sms_to_their_end_but_never_past_the_start(
    nats_server: EmbeddedNatsServer, database_url: str, gateway: SmsGateway
) -> None:
    clock = FakeClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    at_half_past_nine = workshop("w-930", datetime(2026, 12, 3, 8, 30, tzinfo=UTC))  # 9 h 30 in Paris
    at_eight = workshop("w-800", datetime(2026, 12, 3, 7, 0, tzinfo=UTC))  # 8 h in Paris
    async with notifications_service(nats_server.url, database_url, clock, sms_gateway_url=gateway.url) as h:
        await h.publish(
            contact("cit-000001", "sms", phone="06 00 00 00 01"), contact("cit-000002", "sms", phone="06 00 00 00 02"),
            at_half_past_nine, at_eight,
            confirmed("b-1", "cit-000001", at_half_past_nine), confirmed("b-2", "cit-000002", at_eight),
        )
        await h.run()
        clock.current = datetime(2026, 12, 2, 8, 30, tzinfo=UTC)  # both 24 h reminders are due (daytime)
        await h.run()
        clock.current = datetime(2026, 12, 3, 6, 30, tzinfo=UTC)  # 7 h 30 in Paris: the 2 h reminder is due
        await h.run()
        clock.current = datetime(2026, 12, 3, 6, 59, tzinfo=UTC)
        await h.run()
        assert [len(gateway.to(n)) for n in ("06 00 00 00 01", "06 00 00 00 02")] == [2, 2]  # confirmation, 24 h
        await h.service.run_job_once(app.refresh_gauges)
        labels = {"service": "notifications", "site": "hub"}
        assert metrics.REMINDER_QUEUE.labels(**labels)._value.get() == 1  # the one waiting for 8 h
        assert metrics.OLDEST_REMINDER.labels(**labels)._value.get() == 29 * 60
        deferred = metrics.MESSAGES.labels(**labels, channel="sms", kind="reminder", outcome="deferred")
        assert deferred._value.get() >= 1
        clock.current = datetime(2026, 12, 3, 7, 0, tzinfo=UTC)  # 8 h: quiet hours end
        await h.run()
        assert [len(gateway.to(n)) for n in ("06 00 00 00 01", "06 00 00 00 02")] == [3, 2]
        assert gateway.to("06 00 00 00 01")[2]["text"].startswith("Rappel")
        [expired] = await h.messages(state="expired")
        assert (expired.recipient, expired.reason) == ("cit-000002", "quiet_hours_until_start")


async def test_moved_away_and_back_still_reminds_once_and_a_late_contact_card_is_waited_for(
    nats_server: EmbeddedNatsServer, database_url: str, smtp: SmtpSink
) -> None:
    clock = FakeClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    w = workshop("w-1", clock() + timedelta(days=3))

    def move(to: datetime, n: int) -> bk.WorkshopRescheduled:
        return bk.WorkshopRescheduled(request_id=f"move-{n}", workshop_id="w-1", site="hub", room="Salle 1",
                                      starts_at=to, ends_at=to + timedelta(hours=2))

    async with notifications_service(nats_server.url, database_url, clock, smtp_host="127.0.0.1",
                                     smtp_port=smtp.port, reminder_offsets_hours=[24]) as h:
        await h.publish(w, confirmed("b-1", "cit-000001", w))
        await h.run()  # no contact card yet: the confirmation waits for it
        await h.publish(contact("cit-000001", "email", email="a@example.org"))
        await h.advance_and_run(timedelta(minutes=2))
        assert len(smtp.to("a@example.org")) == 1
        await h.publish(move(w.starts_at + timedelta(days=1), 1), move(w.starts_at, 2))
        await h.run()  # the first move's notice, not sent yet, gave way to the second's
        clock.current = w.starts_at - timedelta(hours=24)
        await h.run()
        await h.advance_and_run(timedelta(hours=1))
        subjects_seen = [str(m["Subject"]).split(" :")[0] for m in smtp.to("a@example.org")]
        assert subjects_seen == ["Votre place est réservée", "Changement d'horaire", "Rappel"]
