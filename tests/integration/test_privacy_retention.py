"""Retention with an injectable clock: exactly the people inactive for 12 months are anonymised —
their directory rows go, their activity records stay under an id nothing links to them."""

from datetime import UTC, datetime, timedelta

from services.notifications import tables as nt
from services.privacy import tables as pt
from services.privacy.model import months_before
from shared.contract.envelope import Event
from shared.natsserver import EmbeddedNatsServer
from tests.support.booking import FakeClock
from tests.support.bus import eventually, of_type, stream_events
from tests.support.notifications import confirmed, notifications_service, workshop
from tests.support.privacy import card, privacy_service

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def at(event: Event, moment: datetime) -> Event:
    return event.model_copy(update={"occurred_at": moment})


async def test_retention_anonymises_exactly_the_inactive(nats_server: EmbeddedNatsServer, database_url: str) -> None:
    clock = FakeClock(NOW)
    cutoff = months_before(NOW, 12)
    w = workshop("w-old", NOW - timedelta(days=30))
    async with notifications_service(nats_server.url, database_url, clock) as n, \
            privacy_service(nats_server.url, database_url, clock) as p:
        await n.publish(
            w,
            at(card("cit-silent", "Silencieux"), months_before(NOW, 14)),  # nothing since: anonymised
            at(card("cit-active", "Actif"), months_before(NOW, 14)),
            at(confirmed("b-active", "cit-active", w), months_before(NOW, 2)),  # booked since: kept
            at(card("cit-recent", "Récent"), months_before(NOW, 1)),  # registered lately: kept
            at(card("cit-edgeok", "Limite"), months_before(NOW, 13)),
            at(confirmed("b-edge", "cit-edgeok", w), cutoff + timedelta(days=1)),  # one day inside the period
            at(confirmed("b-nocard", "cit-nocard", w), months_before(NOW, 20)),  # no profile here: nothing to do
        )
        await p.settle()

        assert await p.retain() == ["cit-silent"]
        await eventually(lambda: n.rows(nt.contacts), lambda rows: len(rows) == 3, 15, "the directory row deleted")
        assert {r.citizen_id for r in await n.rows(nt.contacts)} == {"cit-active", "cit-recent", "cit-edgeok"}
        assert await p.retain() == [], "not picked twice while its erasure goes round"

        clock.advance(timedelta(days=2))  # the edge case's last activity is now past the period
        assert await p.retain() == ["cit-edgeok"]
        await eventually(lambda: n.rows(nt.contacts), lambda rows: len(rows) == 2, 15, "the second row deleted")
        await p.settle()
        assert await p.erased() == {"cit-silent", "cit-edgeok"}
        erasures = of_type(await stream_events(p.js, "TL_HUB"), "privacy.citizen_erased")
        assert [(e["citizen_id"], e["reason"]) for e in erasures] == [
            ("cit-silent", "retention"), ("cit-edgeok", "retention")]
        # Activity records stay: the booking of the anonymised person is still there, pseudonymous.
        assert [b.booking_id for b in await n.rows(nt.bookings, nt.bookings.c.citizen_id == "cit-edgeok")] == [
            "b-edge"]
        assert {r.citizen_id for r in await p.rows(pt.people)} == {"cit-active", "cit-recent", "cit-nocard"}
