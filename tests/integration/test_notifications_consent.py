"""Consent decides everything: no consent, no message; a withdrawal applies at once; erasure forgets."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest_asyncio

from services.notifications import cli, tables
from services.notifications.channels.call_list import mark_called
from shared.contract import directory as dr
from shared.natsserver import EmbeddedNatsServer
from tests.support.booking import FakeClock
from tests.support.bus import eventually, of_type, stream_events
from tests.support.notifications import SmsGateway, SmtpSink, confirmed, contact, notifications_service, workshop


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


async def test_no_consent_means_nothing_sent_but_the_call_list_when_staff_asked(
    nats_server: EmbeddedNatsServer, database_url: str, smtp: SmtpSink, gateway: SmsGateway
) -> None:
    async with notifications_service(nats_server.url, database_url, smtp_host="127.0.0.1", smtp_port=smtp.port,
                                     sms_gateway_url=gateway.url) as h:
        w = workshop("w-1", h.clock() + timedelta(days=3))
        await h.publish(
            contact("cit-000001", email="a@example.org", phone="06 00 00 00 01", call_if_unreachable=True,
                    display_name="Mme Aubert"),
            contact("cit-000002", email="b@example.org", phone="06 00 00 00 02"),
            contact("cit-000003", "bot"),
            w, *(confirmed(f"b-{n}", f"cit-00000{n}", w) for n in (1, 2, 3, 4)),  # cit-000004: no contact card
        )
        await h.run(2)
        assert smtp.received == [] and gateway.requests == []
        [call] = await h.call_list("hub")
        assert (call.citizen_id, call.display_name, call.phone, call.reason) == (
            "cit-000001", "Mme Aubert", "06 00 00 00 01", "no_channel"
        )
        withheld = {m.recipient: m.reason for m in await h.messages(kind="booking_confirmed", state="withheld")}
        assert withheld == {"cit-000002": "no_consent"}  # cit-000004's card may still be on its way…
        await h.advance_and_run(timedelta(minutes=11))  # … but not for ever
        withheld = {m.recipient: m.reason for m in await h.messages(kind="booking_confirmed", state="withheld")}
        assert withheld == {"cit-000002": "no_consent", "cit-000004": "no_contact"}
        # The bot channel: one event for the bot front-ends, no contact detail in it.
        async def bot_messages() -> list[dict]:  # type: ignore[type-arg]
            return of_type(await stream_events(h.js, "TL_HUB"), "notification.bot_message")

        bot = await eventually(bot_messages, lambda found: len(found) >= 1, 10, "the bot message")
        assert [(b["citizen_id"], b["kind"], b["audience"]) for b in bot] == [
            ("cit-000003", "booking_confirmed", "citizen")
        ]
        assert "votre place est réservée" in bot[0]["text"]
        listing = await cli.call_list_text("hub", settings=h.settings, now=h.clock())
        assert listing.startswith("Pôle numérique de Carcassonne — mardi 1er décembre 2026 : 1 appel(s) à passer")
        assert f"[{call.entry_id}] Mme Aubert — 06 00 00 00 01 (aucun autre moyen de contact)" in listing
        # Done: the entry leaves the list.
        async with h.service.engine.begin() as conn:
            assert await mark_called(conn, call.entry_id, "staff-7", h.clock())
        assert await h.call_list("hub") == []


async def test_withdrawal_reroutes_what_waits_and_erasure_forgets(
    nats_server: EmbeddedNatsServer, database_url: str, smtp: SmtpSink, gateway: SmsGateway
) -> None:
    clock = FakeClock(datetime(2026, 12, 1, 21, 30, tzinfo=UTC))  # 22 h 30 in Paris: no SMS now
    async with notifications_service(nats_server.url, database_url, clock, smtp_host="127.0.0.1",
                                     smtp_port=smtp.port, sms_gateway_url=gateway.url) as h:
        w = workshop("w-1", clock() + timedelta(days=3))
        await h.publish(
            contact("cit-000001", "sms", "email", phone="06 00 00 00 01", email="a@example.org", preferred="sms"),
            contact("cit-000002", "sms", "phone_call", phone="06 00 00 00 02"),
            w, confirmed("b-1", "cit-000001", w), confirmed("b-2", "cit-000002", w),
        )
        await h.run()
        assert gateway.requests == [] and smtp.received == []  # waiting for the morning
        [waiting] = await h.rows(tables.deliveries, tables.deliveries.c.channel == "sms",
                                 tables.deliveries.c.message_id == 1)
        assert waiting.deferred and waiting.state == "pending"

        await h.publish(dr.ConsentChanged(citizen_id="cit-000001", channel="sms", granted=False,
                                          changed_at=clock(), staff_id="staff-3"))
        await h.run()
        assert gateway.requests == []
        assert len(smtp.to("a@example.org")) == 1  # at once, by e-mail instead

        await h.publish(dr.ContactErased(citizen_id="cit-000002"))
        clock.advance(timedelta(hours=12))
        await h.run(2)
        assert gateway.requests == [] and await h.call_list("hub") == []
        assert await h.rows(tables.contacts, tables.contacts.c.citizen_id == "cit-000002") == []
        reasons = {m.reason for m in await h.messages(recipient="cit-000002")}
        assert reasons == {"contact_erased"}
        # Reminders for cit-000001 now go by e-mail only.
        clock.current = w.starts_at - timedelta(hours=24)
        await h.run()
        assert [str(m["Subject"]).split(" :")[0] for m in smtp.to("a@example.org")] == [
            "Votre place est réservée", "Rappel",
        ]
