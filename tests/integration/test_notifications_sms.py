"""SMS through a real HTTP gateway that fails: retried with the same key, then e-mail, then a call."""

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest_asyncio
from sqlalchemy import select

from services.notifications import tables
from services.notifications.retention import purge_old
from shared.natsserver import EmbeddedNatsServer
from shared.topology import DLQ_STREAM
from tests.support.bus import eventually, stream_events
from tests.support.notifications import (
    NotificationsHarness,
    SmsGateway,
    SmtpSink,
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
    gw = SmsGateway(fail_first=2)
    await gw.start()
    try:
        yield gw
    finally:
        await gw.stop()


async def test_retry_then_fall_back_to_email_then_to_the_call_list(
    nats_server: EmbeddedNatsServer, database_url: str, smtp: SmtpSink, gateway: SmsGateway
) -> None:
    gateway.always_fail = {"06 00 00 00 02", "06 00 00 00 03"}
    smtp.reject = {"claude@example.org"}
    async with notifications_service(
        nats_server.url, database_url, smtp_host="127.0.0.1", smtp_port=smtp.port, sms_gateway_url=gateway.url,
        sms_auth_value="Bearer secret",
    ) as h:
        w = workshop("w-1", h.clock() + timedelta(days=2))
        await h.publish(
            contact("cit-000001", "sms", phone="06 00 00 00 01"),
            contact("cit-000002", "sms", "email", phone="06 00 00 00 02", email="bernard@example.org"),
            contact("cit-000003", "sms", "email", "phone_call", phone="06 00 00 00 03", email="claude@example.org",
                    display_name="M. Claude"),
            w, *(confirmed(f"b-{n}", f"cit-00000{n}", w) for n in (1, 2, 3)),
        )
        for _ in range(7):
            await h.advance_and_run(timedelta(minutes=5))

        # Failed twice, then through: one SMS, three requests with one idempotency key.
        [sms] = gateway.to("06 00 00 00 01")
        assert "votre place est réservée" in sms["text"] and len(sms["text"]) <= 160
        first = [r for r in gateway.requests if r["body"]["to"] == "06 00 00 00 01"]
        assert len(first) == 3 and len({r["key"] for r in first}) == 1
        assert first[0]["headers"]["authorization"] == "Bearer secret"
        assert first[0]["body"]["reference"] == first[0]["key"]

        # Never through: four tries by SMS, then e-mail.
        assert len([r for r in gateway.requests if r["body"]["to"] == "06 00 00 00 02"]) == 4
        assert len(smtp.to("bernard@example.org")) == 1
        assert gateway.to("06 00 00 00 02") == []

        # Neither SMS nor e-mail: on the staff call list, with what to say.
        assert smtp.to("claude@example.org") == []
        [call] = await h.call_list("hub")
        assert (call.citizen_id, call.display_name, call.phone, call.reason) == (
            "cit-000003", "M. Claude", "06 00 00 00 03", "fallback"
        )
        assert "Premiers pas sur Internet" in call.text

        await assert_logged_and_dead_lettered(h)

        # Nothing more goes out however often the sender runs.
        before = len(gateway.requests), len(smtp.received)
        await h.advance_and_run(timedelta(hours=1))
        assert (len(gateway.requests), len(smtp.received)) == before

        # Retention: the delivered confirmations and their log go after 90 days, the reminders stay.
        h.clock.advance(timedelta(days=91))
        assert await purge_old(h.service, timedelta(days=90)) == 3
        assert {m.kind for m in await h.messages()} == {"reminder"}
        assert await h.rows(tables.attempts) == []


async def assert_logged_and_dead_lettered(h: NotificationsHarness) -> None:
    """Every attempt is in the delivery log; every channel given up is in the dead-letter stream."""
    async with h.service.engine.connect() as conn:
        log = (await conn.execute(
            select(tables.attempts.c.channel, tables.attempts.c.outcome).order_by(tables.attempts.c.id)
        )).all()
    assert sum(1 for c, o in log if c == "sms" and o == "transient") == 2 + 4 + 4
    assert sum(1 for c, o in log if o == "sent") == 3  # SMS, e-mail, call list
    assert ("email", "permanent") in log
    dead = await eventually(lambda: stream_events(h.js, DLQ_STREAM, "dlq.>"), lambda d: len(d) >= 3, 10, "DLQ")
    assert sorted((d["recipient"], d["channel"]) for d in dead) == [
        ("cit-000002", "sms"), ("cit-000003", "email"), ("cit-000003", "sms"),
    ]
    assert all(d["_subject"] == "dlq.hub.notifications" and d["detail"] for d in dead)
