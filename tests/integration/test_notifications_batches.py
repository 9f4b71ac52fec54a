"""Notifications decide a whole batch in memory and write it back at commit: a batch must leave the very rows one
event per batch leaves, whatever several events do to one booking (confirmed then cancelled, confirmed then checked
in, cancelled then confirmed again), with deliveries pending or in flight, and a consent withdrawn or an erasure in
the middle of the batch."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, text
from sqlalchemy.ext.asyncio import AsyncEngine

from services.notifications import app, tables
from services.notifications.model import Channel, Policy
from services.notifications.scheduler import route_due
from services.notifications.sender import claim
from services.notifications.settings import NotificationSettings
from shared.bus import MessageBus
from shared.contract import attendance as att
from shared.contract import booking as bk
from shared.contract import directory as dr
from shared.contract import inventory as inv
from shared.contract import privacy as pv
from shared.contract.envelope import Event
from shared.db import make_engine
from shared.hlc import HybridClock
from shared.migrations import ensure_schema
from tests.support.tables import all_rows

NOW = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
AT = NOW + timedelta(days=2)
POLICY = Policy(order=[Channel.email, Channel.bot, Channel.phone_call])


class Events:
    """Events as booking, attendance, directory, privacy and inventory publish them, with stable ids."""

    def __init__(self) -> None:
        self.n = 0

    def _stamp(self, event: Event, occurred_at: datetime = NOW - timedelta(hours=1)) -> Event:
        self.n += 1
        return event.model_copy(update={"event_id": f"ev-{self.n:03d}", "origin": "hub", "occurred_at": occurred_at})

    def scheduled(self, wid: str, at: datetime = AT) -> Event:
        return self._stamp(bk.WorkshopScheduled(
            request_id=f"r-{wid}", workshop_id=wid, site="hub", room="Salle 1", title=f"Atelier {wid}",
            themes=["email"], level="debutant", starts_at=at, ends_at=at + timedelta(hours=2), capacity=8))

    def rescheduled(self, wid: str, at: datetime) -> Event:
        return self._stamp(bk.WorkshopRescheduled(
            request_id=f"r-{wid}-moved", workshop_id=wid, site="hub", room="Salle 2", starts_at=at,
            ends_at=at + timedelta(hours=2)))

    def workshop_cancelled(self, wid: str) -> Event:
        return self._stamp(bk.WorkshopCancelled(
            request_id=f"r-{wid}-x", workshop_id=wid, site="hub", reason="", bookings_released=0))

    def confirmed(self, bid: str, wid: str, who: str, at: datetime = AT) -> Event:
        return self._stamp(bk.BookingConfirmed(
            request_id=f"r-{bid}", booking_id=bid, site="hub", workshop_id=wid, starts_at=at,
            ends_at=at + timedelta(hours=2), citizen={"citizen_id": who}))

    def waitlisted(self, bid: str, wid: str, who: str) -> Event:
        return self._stamp(bk.BookingWaitlisted(
            request_id=f"r-{bid}", booking_id=bid, site="hub", workshop_id=wid, starts_at=AT, position=1,
            citizen={"citizen_id": who}))

    def promoted(self, bid: str, wid: str, who: str) -> Event:
        return self._stamp(bk.BookingPromoted(
            request_id=f"r-{bid}-up", booking_id=bid, site="hub", workshop_id=wid, starts_at=AT,
            ends_at=AT + timedelta(hours=2), citizen={"citizen_id": who}))

    def cancelled(self, bid: str, wid: str, who: str, reason: str = "cancelled_by_citizen") -> Event:
        return self._stamp(bk.BookingCancelled(
            request_id=f"r-{bid}-x", booking_id=bid, site="hub", workshop_id=wid, citizen_id=who, by="citizen",
            reason=reason, was="confirmed"))

    def checked_in(self, bid: str, wid: str, who: str) -> Event:
        return self._stamp(att.CheckedIn(
            request_id=f"r-{bid}-in", booking_id=bid, workshop_id=wid, site="hub", citizen={"citizen_id": who},
            walk_in=False, starts_at=AT))

    def contact(self, who: str, *consents: str) -> Event:
        return self._stamp(dr.ContactRegistered(
            citizen_id=who, site="hub", email=f"{who}@example.org", consents=list(consents)),
            NOW - timedelta(minutes=30))

    def consent(self, who: str, channel: str, granted: bool) -> Event:
        return self._stamp(dr.ConsentChanged(
            citizen_id=who, channel=channel, granted=granted, changed_at=NOW - timedelta(minutes=1)))

    def erased(self, who: str, at: datetime = NOW - timedelta(hours=1)) -> Event:
        return self._stamp(pv.CitizenErased(citizen_id=who), at)

    def loan_due(self, loan: str, who: str) -> Event:
        return self._stamp(inv.LoanDueSoon(
            request_id=f"r-{loan}", loan_id=loan, asset_tag="TAB-1", kind="tablet", site="hub", mode="take_home",
            citizen={"citizen_id": who}, due_date=date(2031, 3, 6), due_at=NOW + timedelta(days=3),
            days_overdue=-3))

    def returned(self, loan: str, who: str) -> Event:
        return self._stamp(inv.LoanReturned(
            request_id=f"r-{loan}-back", loan_id=loan, asset_tag="TAB-1", site="hub", mode="take_home",
            citizen={"citizen_id": who}, returned_at=NOW, due_date=date(2031, 3, 6), days_late=0, condition="good",
            deposit_to_refund=None, notes=""))


def scenario() -> tuple[list[Event], list[Event]]:
    """Rows there before (routed, one send in flight), then a batch where many events are about the same rows."""
    ev = Events()
    before = [
        ev.contact("cit-000001", "email"), ev.contact("cit-000002", "email"), ev.contact("cit-000003", "bot"),
        ev.contact("cit-000004", "email"), ev.scheduled("w-1"), ev.scheduled("w-2"),
        ev.confirmed("b-1", "w-1", "cit-000001"), ev.confirmed("b-2", "w-1", "cit-000002"),
        ev.confirmed("b-3", "w-2", "cit-000003"), ev.confirmed("b-4", "w-2", "cit-000004"),
        ev.loan_due("L-1", "cit-000001"),
        # Erased, then back with a new card (registered after the erasure).
        ev.erased("cit-000006", NOW - timedelta(hours=2)), ev.contact("cit-000006", "email"),
        ev.erased("cit-000007", NOW - timedelta(hours=2)), ev.loan_due("L-2", "cit-000004"),
    ]
    batch = [
        # The send of b-1's confirmation is in flight: cancelling leaves it open (its reminders are cancelled), and
        # confirming again changes nothing about it.
        ev.confirmed("b-1", "w-1", "cit-000001"), ev.cancelled("b-1", "w-1", "cit-000001"),
        ev.confirmed("b-1", "w-1", "cit-000001"),
        # Confirmed, cancelled and confirmed again; confirmed then checked in: all in this batch.
        ev.confirmed("b-5", "w-2", "cit-000005"), ev.cancelled("b-5", "w-2", "cit-000005"),
        ev.confirmed("b-5", "w-2", "cit-000005"),
        ev.confirmed("b-6", "w-2", "cit-000002"), ev.checked_in("b-6", "w-2", "cit-000002"),
        # Routed (a pending delivery) then cancelled, then confirmed again: decided anew.
        ev.cancelled("b-2", "w-1", "cit-000002"), ev.confirmed("b-2", "w-1", "cit-000002"),
        # Waitlisted, promoted, checked in.
        ev.waitlisted("b-7", "w-2", "cit-000003"), ev.promoted("b-7", "w-2", "cit-000003"),
        ev.checked_in("b-7", "w-2", "cit-000003"),
        # A workshop scheduled, booked, moved; an old one moved with its routed bookings.
        ev.scheduled("w-3"), ev.confirmed("b-8", "w-3", "cit-000001"), ev.rescheduled("w-3", AT + timedelta(days=1)),
        ev.rescheduled("w-2", AT + timedelta(hours=3)),
        # A loan reminder routed, then the tablet comes back.
        ev.returned("L-1", "cit-000001"),
        # A consent withdrawn mid-batch (its statements run at once, after this batch's changes so far are written).
        ev.consent("cit-000002", "email", False),
        # An erasure mid-batch cancels what this batch already read; a late booking for the erased person: nothing.
        ev.loan_due("L-2", "cit-000004"), ev.erased("cit-000004"), ev.returned("L-2", "cit-000004"),
        ev.confirmed("b-4", "w-2", "cit-000004"), ev.checked_in("b-4", "w-2", "cit-000004"),
        ev.confirmed("b-10", "w-1", "cit-000004"), ev.checked_in("b-10", "w-1", "cit-000004"),
        # Someone erased, back with a new card, booked, then erased again: the next booking decides nothing.
        ev.confirmed("b-11", "w-2", "cit-000006"), ev.erased("cit-000006", NOW),
        ev.confirmed("b-12", "w-2", "cit-000006"),
        # Erased, then a booking (nothing), a new card, and a booking again: told.
        ev.confirmed("b-13", "w-2", "cit-000007"), ev.contact("cit-000007", "email"),
        ev.confirmed("b-14", "w-2", "cit-000007"),
        ev.confirmed("b-9", "w-1", "cit-000002"),
        # A workshop cancelled: its bookings' cancellations, then the sweep.
        ev.cancelled("b-9", "w-1", "cit-000002", reason="workshop_cancelled"), ev.workshop_cancelled("w-1"),
    ]
    return before, batch


class Notifications:
    """The service's bus and jobs on a fixed clock, without NATS."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.definition = app.definition(NotificationSettings(notifications_jobs=False))
        self.clock = HybridClock()
        self.bus = MessageBus(self.definition.name, self.unit_of_work, self.definition.handlers)

    def now(self) -> datetime:
        return NOW

    def unit_of_work(self) -> Any:
        uow = self.definition.uow_class(self.engine, self.definition.tables, "hub", self.clock, self.now)
        self.definition.configure_uow(uow)
        return uow

    async def prepare(self, before: list[Event]) -> None:
        """The rows before the batch: messages routed, the first delivery claimed (in flight)."""
        await self.bus.process(before)
        await route_due(self, POLICY)  # type: ignore[arg-type]
        assert len(await claim(self, POLICY, 1)) == 1  # type: ignore[arg-type]

    async def rows(self) -> dict[str, list[dict[str, Any]]]:
        return await all_rows(self.engine, self.definition.metadata)

    async def wipe(self) -> None:
        async with self.engine.begin() as conn:
            if self.engine.dialect.name == "postgresql":  # ids start again from 1, as in a new database
                names = ", ".join(t.name for t in self.definition.metadata.sorted_tables)
                await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY"))
                return
            for table in reversed(self.definition.metadata.sorted_tables):
                await conn.execute(delete(table))


async def test_a_batch_leaves_the_rows_one_event_per_batch_leaves(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        await ensure_schema(engine, "notifications", tables.metadata)
        service = Notifications(engine)
        before, batch = scenario()

        await service.prepare(before)
        for event in batch:
            await service.bus.process([event])
        one_by_one = await service.rows()
        await service.wipe()
        await service.prepare(before)
        assert await service.bus.process(batch) == {e.event_id for e in batch}
        batched = await service.rows()
    finally:
        await engine.dispose()

    assert batched == one_by_one
    messages = {m["message_key"]: (m["state"], m["reason"]) for m in batched["notifications_messages"]}
    at, moved = AT.strftime("%Y%m%dT%H%MZ"), (AT + timedelta(hours=3)).strftime("%Y%m%dT%H%MZ")
    assert {k: v for k, v in messages.items() if "|b-1|" in k or "b-1@" in k} == {
        "booking_confirmed|b-1|cit-000001": ("routed", None),  # in flight when cancelled: it ends as it goes
        f"reminder|b-1@{at}/24h|cit-000001": ("cancelled", "workshop_cancelled"),  # decided again, then swept
        f"reminder|b-1@{at}/2h|cit-000001": ("cancelled", "workshop_cancelled"),
        "booking_cancelled|b-1|cit-000001": ("scheduled", None),  # not filed under the booking: the sweep spares it
    }
    assert {k: v for k, v in messages.items() if "|b-5" in k and "reminder" not in k} == {
        "booking_confirmed|b-5|cit-000005": ("cancelled", "rescheduled"),  # decided anew, then w-2 moved
        "booking_cancelled|b-5|cit-000005": ("scheduled", None),
        "workshop_rescheduled|b-5#4|cit-000005": ("scheduled", None),
    }
    assert messages["booking_confirmed|b-6|cit-000002"] == ("cancelled", "checked_in")
    assert messages["booking_waitlisted|b-7|cit-000003"] == ("cancelled", "promoted")
    assert messages["booking_promoted|b-7|cit-000003"] == ("cancelled", "checked_in")
    assert messages[f"reminder|b-3@{moved}/24h|cit-000003"] == ("scheduled", None)
    assert messages["loan_due_soon|L-1@2031-03-06|cit-000001"] == ("cancelled", "loan_returned")
    assert {v for k, v in messages.items() if "cit-000004" in k} == {
        ("cancelled", "rescheduled"), ("cancelled", "citizen_erased")}  # never "loan_returned" nor "checked_in"
    assert messages["loan_due_soon|L-2@2031-03-06|cit-000004"] == ("cancelled", "citizen_erased")
    assert not [k for k in messages if "b-10" in k or "b-12" in k], "nothing decided for an erased person"
    assert messages["booking_confirmed|b-11|cit-000006"] == ("cancelled", "citizen_erased")
    assert not [k for k in messages if "b-13" in k] and messages["booking_confirmed|b-14|cit-000007"] == (
        "scheduled", None)
    keys = {m["id"]: m["message_key"] for m in batched["notifications_messages"]}
    deliveries = {(keys[d["message_id"]], d["channel"]): (d["state"], d["last_error"])
                  for d in batched["notifications_deliveries"]}
    assert deliveries == {
        ("booking_confirmed|b-1|cit-000001", "email"): ("sending", None),
        ("booking_confirmed|b-2|cit-000002", "email"): ("cancelled", "cancelled_by_citizen"),
        ("booking_confirmed|b-3|cit-000003", "bot"): ("cancelled", "rescheduled"),
        ("booking_confirmed|b-4|cit-000004", "email"): ("cancelled", "rescheduled"),
        ("loan_due_soon|L-1@2031-03-06|cit-000001", "email"): ("cancelled", "loan_returned"),
        ("loan_due_soon|L-2@2031-03-06|cit-000004", "email"): ("cancelled", "citizen_erased"),
    }
    bookings = {b["booking_id"]: b["status"] for b in batched["notifications_bookings"]}
    assert bookings == {
        "b-1": "confirmed", "b-2": "confirmed", "b-3": "confirmed", "b-4": "attended", "b-5": "confirmed",
        "b-6": "attended", "b-7": "attended", "b-8": "confirmed", "b-9": "cancelled", "b-10": "attended",
        "b-11": "confirmed", "b-12": "confirmed", "b-13": "confirmed", "b-14": "confirmed",
    }
