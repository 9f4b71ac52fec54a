"""The read models (public page, console, bot) write a batch's row changes at commit, folded by row: a batch must
leave the very rows one event per batch leaves, whatever several events do to one row and in what order."""

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncEngine

from services.bot import app as bot_app
from services.bot.settings import BotSettings
from services.console import app as console_app
from services.console.settings import ConsoleSettings
from services.public import app as public_app
from services.public.settings import PublicSettings
from shared.bus import MessageBus
from shared.contract import attendance as att
from shared.contract import booking as bk
from shared.contract import directory as dr
from shared.contract import inventory as inv
from shared.contract.envelope import Event
from shared.db import make_engine
from shared.hlc import HybridClock
from shared.migrations import ensure_schema
from shared.service import ServiceDefinition
from tests.support.booking import citizen
from tests.support.tables import all_rows

NOW = datetime(2031, 3, 3, 9, 0, tzinfo=UTC)
AT = NOW + timedelta(days=2)
MOVED = AT + timedelta(days=1)

DEFINITIONS: dict[str, Callable[[], ServiceDefinition]] = {
    "public": lambda: public_app.definition(PublicSettings()),
    "console": lambda: console_app.definition(ConsoleSettings()),
    "bot": lambda: bot_app.definition(BotSettings()),
}


class Events:
    """Outcome events as booking, attendance, directory and inventory publish them, numbered in order."""

    def __init__(self) -> None:
        self.n = 0

    def _stamp(self, event: Event, origin: str = "hub") -> Event:
        self.n += 1
        return event.model_copy(update={"origin": origin, "hlc": f"{self.n:016d}-0000-{origin}"})

    def scheduled(self, wid: str, room: str = "salle 1", at: datetime = AT) -> Event:
        return self._stamp(bk.WorkshopScheduled(
            request_id=f"r-{wid}", workshop_id=wid, site="hub", room=room, title=f"Atelier {wid}",
            themes=["diagnostic_numerique"], level="debutant", starts_at=at, ends_at=at + timedelta(hours=2),
            capacity=8))

    def rescheduled(self, wid: str, at: datetime = MOVED) -> Event:
        return self._stamp(bk.WorkshopRescheduled(
            request_id=f"r-{wid}-moved", workshop_id=wid, site="hub", room="salle 2", starts_at=at,
            ends_at=at + timedelta(hours=2)), origin="trebes")

    def workshop_cancelled(self, wid: str) -> Event:
        return self._stamp(bk.WorkshopCancelled(
            request_id=f"r-{wid}-x", workshop_id=wid, site="hub", reason="", bookings_released=0))

    def closed(self, wid: str) -> Event:
        return self._stamp(att.SessionClosed(
            request_id=f"r-{wid}-end", workshop_id=wid, site="hub", title="t", themes=["diagnostic_numerique"],
            level="debutant", starts_at=AT, duration_minutes=120, capacity=8, booked=1, attended=1, walk_ins=0,
            no_shows=0))

    def confirmed(self, bid: str, wid: str | None, n: int, at: datetime = AT, **extra: Any) -> Event:
        return self._stamp(bk.BookingConfirmed(
            request_id=f"r-{bid}", booking_id=bid, site="hub", workshop_id=wid, resource_id=None if wid else "pc-1",
            starts_at=at, ends_at=at + timedelta(hours=2), citizen=citizen(n), **extra))

    def waitlisted(self, bid: str, wid: str, n: int) -> Event:
        return self._stamp(bk.BookingWaitlisted(
            request_id=f"r-{bid}", booking_id=bid, site="hub", workshop_id=wid, starts_at=AT, position=1,
            citizen=citizen(n)))

    def promoted(self, bid: str, wid: str, n: int) -> Event:
        return self._stamp(bk.BookingPromoted(
            request_id=f"r-{bid}-up", booking_id=bid, site="hub", workshop_id=wid, starts_at=AT,
            ends_at=AT + timedelta(hours=2), citizen=citizen(n)))

    def cancelled(self, bid: str, wid: str, n: int) -> Event:
        return self._stamp(bk.BookingCancelled(
            request_id=f"r-{bid}-x", booking_id=bid, site="hub", workshop_id=wid, citizen_id=citizen(n)["citizen_id"],
            by="citizen", reason="", was="confirmed"))

    def checked_in(self, bid: str, wid: str, n: int, walk_in: bool = False) -> Event:
        return self._stamp(att.CheckedIn(
            request_id=f"r-{bid}-in", booking_id=bid, workshop_id=wid, site="hub", citizen=citizen(n),
            walk_in=walk_in, starts_at=AT))

    def no_show(self, bid: str, wid: str, n: int) -> Event:
        return self._stamp(att.NoShow(
            request_id=f"r-{bid}-no", booking_id=bid, workshop_id=wid, site="hub", citizen=citizen(n), starts_at=AT))

    def contact(self, n: int, name: str) -> Event:
        return self._stamp(dr.ContactRegistered(citizen_id=citizen(n)["citizen_id"], site="hub", display_name=name))

    def erased(self, n: int) -> Event:
        return self._stamp(dr.ContactErased(citizen_id=citizen(n)["citizen_id"]))

    def asset(self, tag: str, status: str = "available") -> Event:
        return self._stamp(inv.AssetRegistered(
            request_id=f"r-{tag}", asset_tag=tag, kind="tablet", model="Tab", serial=tag, purchase_date=None,
            purchase_price=Decimal("100"), funding_source="", condition="good", site="hub", status=status))

    def held(self, rid: str, *tags: str) -> Event:
        return self._stamp(inv.ReservationHeld(
            request_id=f"r-{rid}", reservation_id=rid, site="hub", starts_at=AT, asset_tags=list(tags),
            unavailable=[]))

    def ended(self, rid: str, *tags: str) -> Event:
        return self._stamp(inv.ReservationEnded(request_id=f"r-{rid}-end", reservation_id=rid, asset_tags=list(tags)))

    def lent(self, loan: str, tag: str) -> Event:
        return self._stamp(inv.LoanCheckedOut(
            request_id=f"r-{loan}", loan_id=loan, asset_tag=tag, kind="tablet", site="hub", mode="take_home",
            citizen=citizen(1), started_at=NOW, due_date=date(2031, 3, 10), due_at=NOW + timedelta(days=7),
            agreement_signed=True, deposit=None))

    def returned(self, loan: str, tag: str) -> Event:
        return self._stamp(inv.LoanReturned(
            request_id=f"r-{loan}-back", loan_id=loan, asset_tag=tag, site="hub", mode="take_home",
            citizen=citizen(1), returned_at=NOW, due_date=date(2031, 3, 10), days_late=0, condition="worn",
            deposit_to_refund=None, notes=""))

    def conflict(self, cid: str, detail: str) -> Event:
        return self._stamp(inv.ConflictDetected(
            request_id=f"r-{cid}", conflict_id=cid, asset_tag="TAB-1", action="inventory.loan_checkout_requested",
            node_site="trebes", holding_site="hub", recorded_status="available", attempted={}, detail=detail))

    def resolved(self, cid: str) -> Event:
        return self._stamp(inv.ConflictResolved(
            request_id=f"r-{cid}-ok", conflict_id=cid, asset_tag="TAB-1", resolution="gardé au pôle"))


def scenario(service: str) -> tuple[list[Event], list[Event]]:
    """Rows there before, then a batch where many events are about the same rows."""
    ev = Events()
    before = [
        ev.scheduled("w-old"), ev.scheduled("w-kept"), ev.confirmed("b-old", "w-old", 1),
        ev.waitlisted("b-wait", "w-old", 2), ev.confirmed("b-kept", "w-kept", 3, booked_by_staff="marie"),
    ]
    batch = [
        # A workshop scheduled, then rescheduled, then cancelled; one of the old ones moved then closed.
        ev.scheduled("w-new"), ev.confirmed("b-early", "w-old", 4), ev.rescheduled("w-new"), ev.rescheduled("w-old"),
        ev.confirmed("b-late", "w-old", 5, at=MOVED), ev.workshop_cancelled("w-new"), ev.closed("w-old"),
        # Outcomes about rows never seen are ignored, even when the row comes later in the same batch.
        ev.workshop_cancelled("w-ghost"), ev.scheduled("w-ghost", room="salle 3"),
        ev.cancelled("b-ghost", "w-kept", 6), ev.confirmed("b-ghost", "w-kept", 6),
        # Booking confirmed then cancelled; waitlisted, promoted, then checked in; old ones changed.
        ev.confirmed("b-new", "w-kept", 7), ev.cancelled("b-new", "w-kept", 7),
        ev.waitlisted("b-queue", "w-kept", 8), ev.promoted("b-queue", "w-kept", 8),
        ev.checked_in("b-queue", "w-kept", 8),
        ev.promoted("b-wait", "w-old", 2), ev.no_show("b-wait", "w-old", 2), ev.cancelled("b-old", "w-old", 1),
        ev.checked_in("b-walk", "w-kept", 9, walk_in=True), ev.confirmed("b-kept", "w-kept", 3),
        ev.confirmed("slot-1", None, 10),
    ]
    if service == "console":
        before += [ev.contact(1, "Alice"), ev.asset("TAB-old"), ev.conflict("k-old", "avant")]
        batch += [
            ev.contact(2, "Bob"), ev.erased(2), ev.contact(1, "Alice B."), ev.erased(1), ev.contact(1, "Alice C."),
            ev.asset("TAB-1"), ev.held("res-1", "TAB-1", "TAB-old"), ev.ended("res-1", "TAB-1"),
            ev.lent("l-1", "TAB-1"), ev.returned("l-1", "TAB-1"), ev.lent("l-2", "TAB-old"),
            # A change of a column the later upsert does not set: it applies only to a row that was there.
            ev.resolved("k-new"), ev.conflict("k-new", "nouveau"), ev.resolved("k-old"), ev.conflict("k-old", "après"),
        ]
    return before, batch


class ReadModel:
    def __init__(self, definition: ServiceDefinition, engine: AsyncEngine) -> None:
        self.definition = definition
        self.engine = engine
        clock = HybridClock()

        def unit_of_work() -> Any:
            uow = definition.uow_class(engine, definition.tables, "hub", clock, lambda: NOW)
            definition.configure_uow(uow)
            return uow

        self.bus = MessageBus(definition.name, unit_of_work, definition.handlers)

    async def rows(self) -> dict[str, list[dict[str, Any]]]:
        return await all_rows(self.engine, self.definition.metadata)

    async def wipe(self) -> None:
        async with self.engine.begin() as conn:
            for table in self.definition.metadata.sorted_tables:
                await conn.execute(delete(table))


@pytest.mark.parametrize("service", sorted(DEFINITIONS))
async def test_a_batch_leaves_the_rows_one_event_per_batch_leaves(database_url: str, service: str) -> None:
    definition = DEFINITIONS[service]()
    engine = make_engine(database_url)
    try:
        await ensure_schema(engine, definition.name, definition.metadata)
        model = ReadModel(definition, engine)
        before, batch = scenario(service)

        await model.bus.process(before)
        for event in batch:
            await model.bus.process([event])
        one_by_one = await model.rows()
        await model.wipe()
        await model.bus.process(before)
        assert await model.bus.process(batch) == {e.event_id for e in batch}
        batched = await model.rows()
    finally:
        await engine.dispose()

    assert batched == one_by_one
    prefix = definition.name
    workshops = {r["workshop_id"]: r for r in batched[f"{prefix}_workshops"]}
    assert {wid: (w["status"], w["room"]) for wid, w in workshops.items()} == {
        "w-new": ("cancelled", "salle 2"), "w-old": ("closed", "salle 2"), "w-ghost": ("scheduled", "salle 3"),
        "w-kept": ("scheduled", "salle 1")}
    assert workshops["w-new"]["starts_at"] == MOVED.timestamp()
    bookings = {r["booking_id"]: r for r in batched[f"{prefix}_bookings"]}
    assert {bid: b["status"] for bid, b in bookings.items()} == {
        "b-old": "cancelled", "b-wait": "no_show", "b-kept": "confirmed", "b-early": "confirmed",
        "b-late": "confirmed", "b-ghost": "confirmed", "b-new": "cancelled", "b-queue": "attended",
        "b-walk": "attended"}
    assert {bookings[b]["starts_at"] for b in ("b-old", "b-wait", "b-early", "b-late")} == {MOVED.timestamp()}
    assert bookings["b-queue"]["queued"] != "" and not bookings["b-queue"]["walk_in"] and bookings["b-walk"]["walk_in"]
    assert bookings["b-kept"]["booked_by_staff"] == "marie"
    if service == "console":
        assert [(p["citizen_id"], p["display_name"]) for p in batched["console_people"]] == [
            (citizen(1)["citizen_id"], "Alice C.")]
        assets = {a["asset_tag"]: (a["status"], a["condition"]) for a in batched["console_assets"]}
        assert assets == {"TAB-1": ("available", "worn"), "TAB-old": ("on_loan", "good")}
        conflicts = {c["conflict_id"]: (c["detail"], c["resolution"]) for c in batched["console_conflicts"]}
        assert conflicts == {"k-new": ("nouveau", None), "k-old": ("après", "gardé au pôle")}
        assert {o["origin"]: o["last_hlc"] for o in batched["console_origins"]} == {
            e.origin: e.hlc for e in before + batch}
