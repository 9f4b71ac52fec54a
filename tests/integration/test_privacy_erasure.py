"""Erasure on one node: nothing is sent afterwards (even what was scheduled), a stale card never
recreates the profile, and the stream copies are securely deleted."""

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest_asyncio

from services.notifications import tables as nt
from services.privacy import commands
from services.privacy import tables as pt
from shared.contract.envelope import Event
from shared.ids import uuid7
from shared.natsserver import EmbeddedNatsServer
from tests.support.booking import FakeClock
from tests.support.bus import eventually, of_type, stream_events
from tests.support.notifications import SmsGateway, confirmed, notifications_service, workshop
from tests.support.privacy import card, privacy_service

GONE, KEPT = "cit-gone01", "cit-kept01"
GONE_PHONE, KEPT_PHONE = "06 12 34 56 78", "06 98 76 54 32"


@pytest_asyncio.fixture
async def gateway() -> AsyncIterator[SmsGateway]:
    gw = SmsGateway()
    await gw.start()
    try:
        yield gw
    finally:
        await gw.stop()


def at(event: Event, moment: datetime) -> Event:
    return event.model_copy(update={"occurred_at": moment})


async def test_no_message_after_erasure_and_no_profile_from_a_stale_card(
    nats_server: EmbeddedNatsServer, database_url: str, gateway: SmsGateway
) -> None:
    clock = FakeClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    before = clock() - timedelta(hours=1)
    async with notifications_service(nats_server.url, database_url, clock, sms_gateway_url=gateway.url) as n, \
            privacy_service(nats_server.url, database_url, clock) as p:
        w = workshop("w-1", clock() + timedelta(days=3))
        gone_card = at(card(GONE, "Albane Effacée", GONE_PHONE), before)
        await n.publish(gone_card, at(card(KEPT, "Bruno Gardé", KEPT_PHONE), before), w,
                        confirmed("b-1", GONE, w), confirmed("b-2", KEPT, w))
        await p.settle()
        await n.run(2)
        assert len(gateway.to(GONE_PHONE)) == 1 and len(gateway.to(KEPT_PHONE)) == 1  # the confirmations
        assert len(await n.messages(recipient=GONE, kind="reminder", state="scheduled")) == 2

        erased_on = clock()
        erasure_id = await commands.erase(p.settings, GONE, "staff-7", now=erased_on)
        await eventually(lambda: n.rows(nt.erased), lambda rows: len(rows) == 1, 15, "the erasure in notifications")
        await n.settle()
        assert await n.rows(nt.contacts, nt.contacts.c.citizen_id == GONE) == []
        assert {m.reason for m in await n.messages(recipient=GONE, kind="reminder")} == {"citizen_erased"}

        # A replay of the old card and a late booking for the person: nothing comes back.
        replayed = gone_card.model_copy(update={"event_id": uuid7()})
        await n.publish(replayed, confirmed("b-3", GONE, w))
        await p.settle()
        assert await n.rows(nt.contacts, nt.contacts.c.citizen_id == GONE) == []
        assert await n.messages(recipient=GONE, booking_id="b-3") == []

        clock.current = w.starts_at - timedelta(hours=24)
        await n.run(2)
        assert len(gateway.to(GONE_PHONE)) == 1, "no reminder for the erased person"
        assert len(gateway.to(KEPT_PHONE)) == 2

        assert await p.scrub() == 2  # the erasure, and the replayed card that arrived after it
        cards = of_type(await stream_events(p.js, "TL_HUB"), "directory.contact_registered")
        assert [c["citizen_id"] for c in cards] == [KEPT]
        applied = await eventually(lambda: stream_events(p.js, "TL_HUB", "tl.hub.privacy.erasure_applied"),
                                   lambda found: len(found) == 1, 10, "the erasure's receipt")
        assert (applied[0]["erasure_id"], applied[0]["node"], applied[0]["stream_messages_erased"]) == (
            erasure_id, "hub", 2)  # the card and its replayed copy, both made before the erasure
        await eventually(lambda: n.rows(nt.erased, nt.erased.c.compacted.is_(True)), lambda rows: len(rows) == 1,
                         10, "the directory compacted (WAL checkpointed, or vacuumed)")
        # The erasure log: the pseudonymous id and the date, nothing else.
        assert [tuple(r) for r in await p.rows(pt.erasures)] == [(GONE, erased_on.timestamp())]
        [logged] = await p.rows(pt.access_log)
        assert (logged.staff_id, logged.action, logged.citizen_id) == ("staff-7", "erased", GONE)


async def test_bot_messages_to_the_person_are_erased_from_streams_and_outbox(
    nats_server: EmbeddedNatsServer, database_url: str
) -> None:
    clock = FakeClock(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))
    async with notifications_service(nats_server.url, database_url, clock) as n, \
            privacy_service(nats_server.url, database_url, clock) as p:
        w = workshop("w-1", clock() + timedelta(days=3))
        await n.publish(at(card("cit-botgone", "Céleste Bavarde", consents=("bot",)), clock() - timedelta(hours=1)),
                        w, confirmed("b-1", "cit-botgone", w))
        await n.run()
        told = await eventually(lambda: stream_events(n.js, "TL_HUB", "tl.hub.notification.bot_message"),
                                lambda found: len(found) == 1, 10, "the bot message")
        assert told[0]["citizen_id"] == "cit-botgone"  # some templates greet the person by name

        await commands.erase(p.settings, "cit-botgone", "staff-7", now=clock())
        await eventually(lambda: n.rows(nt.erased), lambda rows: len(rows) == 1, 15, "the erasure in notifications")
        await p.settle()
        assert await p.scrub() == 1
        assert await stream_events(n.js, "TL_HUB", "tl.hub.notification.bot_message") == []
        outbox = await n.rows(nt.messaging.outbox)
        assert not [r for r in outbox if b"cit-botgone" in r.body], "the notifications outbox keeps no copy"
        clock.current = w.starts_at - timedelta(hours=24)
        await n.run(2)
        assert await stream_events(n.js, "TL_HUB", "tl.hub.notification.bot_message") == [], "no reminder either"
