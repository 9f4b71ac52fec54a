"""Consent per purpose and channel, recorded with time and staff member, effective at once."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest_asyncio

from services.notifications import tables as nt
from services.privacy import commands
from services.privacy import tables as pt
from shared.natsserver import EmbeddedNatsServer
from tests.support.booking import FakeClock
from tests.support.bus import eventually
from tests.support.notifications import SmsGateway, confirmed, notifications_service, workshop
from tests.support.privacy import card, privacy_service

ANNE, BASILE = "06 11 11 11 11", "06 22 22 22 22"


@pytest_asyncio.fixture
async def gateway() -> AsyncIterator[SmsGateway]:
    gw = SmsGateway()
    await gw.start()
    try:
        yield gw
    finally:
        await gw.stop()


async def test_reminders_refused_or_withdrawn_are_not_sent_booking_messages_are(
    nats_server: EmbeddedNatsServer, database_url: str, gateway: SmsGateway
) -> None:
    clock = FakeClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    async with notifications_service(nats_server.url, database_url, clock, sms_gateway_url=gateway.url) as n, \
            privacy_service(nats_server.url, database_url, clock) as p:
        await n.publish(card("cit-anne01", "Anne", ANNE), card("cit-basile", "Basile", BASILE))
        # Anne says no to reminders when registering; staff record it.
        await commands.change_consent(p.settings, "cit-anne01", "reminders", None, False, "staff-2", now=clock())
        await eventually(lambda: n.rows(nt.purpose_consents), lambda rows: len(rows) == 1, 15, "Anne's choice")
        w = workshop("w-1", clock() + timedelta(days=3))
        await n.publish(w, confirmed("b-anne", "cit-anne01", w), confirmed("b-basile", "cit-basile", w))
        await n.run(2)
        assert len(gateway.to(ANNE)) == 1 and len(gateway.to(BASILE)) == 1  # the confirmations
        assert len(await n.messages(recipient="cit-basile", kind="reminder", state="scheduled")) == 2

        # Basile withdraws reminders by SMS (his only channel): what was scheduled goes nowhere.
        clock.advance(timedelta(hours=1))
        await commands.change_consent(p.settings, "cit-basile", "reminders", "sms", False, "staff-3", now=clock())
        await eventually(lambda: n.rows(nt.purpose_consents), lambda rows: len(rows) == 2, 15, "Basile's choice")
        await n.settle()
        clock.current = w.starts_at - timedelta(hours=2)
        await n.run(2)
        assert len(gateway.to(ANNE)) == 1 and len(gateway.to(BASILE)) == 1, "no reminder for either"
        reasons = {(m.recipient, m.state, m.reason) for m in await n.messages(kind="reminder")}
        assert reasons == {("cit-anne01", "withheld", "no_consent"), ("cit-basile", "withheld", "no_consent")}

        recorded = {(r.citizen_id, r.purpose, r.channel, r.granted, r.staff_id, r.changed_at)
                    for r in await n.rows(nt.purpose_consents)}
        start = datetime(2026, 12, 1, 9, 0, tzinfo=UTC).timestamp()
        assert recorded == {("cit-anne01", "reminders", "*", False, "staff-2", start),
                            ("cit-basile", "reminders", "sms", False, "staff-3", start + 3600)}
        log = [(r.staff_id, r.action, r.citizen_id) for r in await p.rows(pt.access_log)]
        assert log == [("staff-2", "consent", "cit-anne01"), ("staff-3", "consent", "cit-basile")]
