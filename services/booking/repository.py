"""Loads what a batch of requests touches in a few queries, and writes back only what changed.

The booking service is the single writer of its workshops (DESIGN §4), so it keeps the workshops
it decided on in memory (``WorkshopCache``) with the version they were saved at. Each batch checks
the versions in one query (locking the rows on PostgreSQL, ``BEGIN IMMEDIATE`` on SQLite), reloads
only what another instance changed, and bumps the versions it writes. Loading every booking of every
workshop per batch cost 70% of the time at 60-seat workshops with long waitlists.
"""

from collections.abc import Callable, Iterable
from datetime import datetime
from operator import attrgetter
from typing import Any

from sqlalchemy import bindparam, func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.booking.model import ACTIVE, Booking, Resource, Status, Workshop, series_ids
from services.booking.tables import (
    booking_from,
    booking_row,
    bookings,
    elsewhere,
    resources,
    ts,
    workshop_from,
    workshop_row,
    workshops,
)
from shared.contract import attendance as att
from shared.contract import booking as bk
from shared.contract.envelope import Event

_BY_WORKSHOP = (bk.BookingRequested, att.WalkInRequested, att.SessionCloseRequested, bk.WorkshopCancelRequested,
                bk.WorkshopRescheduleRequested)


# Built once: at the hub, which learns of every site's workshops, building these statements per event
# was two thirds of the booking service's time.
_ELSEWHERE = select(elsewhere).where(elsewhere.c.item_id == bindparam("item_id"))
_NOTE_ELSEWHERE = insert(elsewhere)


class WorkshopCache:
    def __init__(self, max_entries: int = 20_000) -> None:
        self.entries: dict[str, tuple[int, Workshop]] = {}
        self.max_entries = max_entries

    def clear(self) -> None:
        self.entries.clear()


# What a workshop row holds that can change; compared after the handlers ran. Bookings are not
# compared: the rules list the ones they changed (``Workshop.changed``), as comparing every booking
# of every workshop a batch touched cost 15% of the time with long waitlists.
workshop_state: Callable[[Workshop], tuple[Any, ...]] = attrgetter("status", "starts_at", "ends_at", "room",
                                                                   "queue_counter", "escrow_seats")


class BookingRepository:
    """Workshops with their bookings, resources with their slots, and per-citizen counts."""

    def __init__(self, conn: AsyncConnection, now: datetime, cache: WorkshopCache) -> None:
        self._conn = conn
        self._now = now
        self._cache = cache
        self._workshops: dict[str, Workshop | None] = {}
        self._versions: dict[str, int] = {}
        self._resources: dict[str, Resource | None] = {}
        self._bookings: dict[str, Booking] = {}  # created in this unit of work
        self._owners: dict[str, tuple[str | None, str | None]] = {}  # booking id -> (workshop, resource)
        self._by_request: dict[str, str] = {}
        self._active: dict[str, int] = {}
        self._saved_workshops: dict[str, tuple[Any, ...]] = {}
        self._new_workshops: list[tuple[Workshop, str]] = []
        self._new_resources: list[Resource] = []

    # --- loading ------------------------------------------------------------------------------
    async def preload(self, events: Iterable[Event]) -> None:
        workshop_ids, resource_ids, booking_ids, citizen_ids, request_ids = set(), set(), set(), set(), set()
        for e in events:
            if isinstance(e, bk.BookingRequested | bk.SlotRequested | att.WalkInRequested):
                citizen_ids.add(e.citizen.citizen_id)
                request_ids.add(e.request_id)
            if isinstance(e, _BY_WORKSHOP):
                workshop_ids.add(e.workshop_id)
            elif isinstance(e, bk.WorkshopScheduleRequested):
                workshop_ids.update(series_ids(e.workshop_id, e.weekly_occurrences))
            elif isinstance(e, bk.SlotRequested | bk.ResourceAddRequested):
                resource_ids.add(e.resource_id)
            elif isinstance(e, bk.CancelRequested | att.CheckInRequested):
                booking_ids.add(e.booking_id)
        if booking_ids:
            rows = await self._conn.execute(
                select(bookings.c.booking_id, bookings.c.workshop_id, bookings.c.resource_id)
                .where(bookings.c.booking_id.in_(booking_ids))
            )
            for booking_id, workshop_id, resource_id in rows:
                self._owners[booking_id] = (workshop_id, resource_id)
                if workshop_id:
                    workshop_ids.add(workshop_id)
                if resource_id:
                    resource_ids.add(resource_id)
        # not ``- dict.keys()``: that walks the dict
        await self._load_workshops({i for i in workshop_ids if i not in self._workshops})
        await self._load_resources({i for i in resource_ids if i not in self._resources})
        await self._load_requests({i for i in request_ids if i not in self._by_request})
        await self._load_active_counts({i for i in citizen_ids if i not in self._active})

    async def _load_workshops(self, ids: set[str]) -> None:
        if not ids:
            return
        query = select(workshops.c.workshop_id, workshops.c.version).where(workshops.c.workshop_id.in_(ids))
        current = {r[0]: r[1] for r in await self._conn.execute(query.with_for_update())}
        stale = set()
        for wid, version in current.items():
            cached = self._cache.entries.get(wid)
            if cached is not None and cached[0] == version:
                self._adopt(cached[1], version)
            else:
                stale.add(wid)
        if stale:
            await self._load_fresh(stale, current)
        for missing in {i for i in ids if i not in current}:
            self._workshops[missing] = None

    async def load_upcoming(self, limit: int) -> None:
        """The next ``limit`` scheduled workshops with their bookings (for ``remember``)."""
        w = workshops
        rows = await self._conn.execute(
            select(w.c.workshop_id, w.c.version).where(w.c.status == "scheduled", w.c.starts_at > ts(self._now))
            .order_by(w.c.starts_at).limit(limit)
        )
        versions = {r[0]: r[1] for r in rows}
        ids = list(versions)
        for start in range(0, len(ids), 500):  # bound the number of SQL parameters
            await self._load_fresh(set(ids[start:start + 500]), versions)

    async def _load_fresh(self, ids: set[str], versions: dict[str, int]) -> None:
        loaded = {
            r.workshop_id: workshop_from(r)
            for r in await self._conn.execute(select(workshops).where(workshops.c.workshop_id.in_(ids)))
        }
        rows = await self._conn.execute(
            select(bookings).where(bookings.c.workshop_id.in_(ids), bookings.c.status != Status.cancelled.value)
        )
        for r in rows:
            loaded[r.workshop_id].bookings.append(booking_from(r))
        for wid, workshop in loaded.items():
            self._adopt(workshop, versions[wid])

    def _adopt(self, workshop: Workshop, version: int) -> None:
        self._workshops[workshop.workshop_id] = workshop
        self._versions[workshop.workshop_id] = version
        self._saved_workshops[workshop.workshop_id] = workshop_state(workshop)

    async def _load_resources(self, ids: set[str]) -> None:
        if not ids:
            return
        query = select(resources).where(resources.c.resource_id.in_(ids)).with_for_update()
        for r in await self._conn.execute(query):
            self._resources[r.resource_id] = Resource(r.resource_id, r.site, r.kind, r.name)
        rows = await self._conn.execute(
            select(bookings).where(
                bookings.c.resource_id.in_(ids),
                bookings.c.status == Status.confirmed.value,
                bookings.c.ends_at > ts(self._now),
            )
        )
        for r in rows:
            b = booking_from(r)
            res = self._resources.get(b.resource_id or "")
            if res is not None:
                res.slots.append(b)
        for missing in {i for i in ids if i not in self._resources}:
            self._resources[missing] = None

    async def _load_requests(self, ids: set[str]) -> None:
        if ids:
            rows = await self._conn.execute(
                select(bookings.c.request_id, bookings.c.booking_id).where(bookings.c.request_id.in_(ids))
            )
            self._by_request.update({r.request_id: r.booking_id for r in rows})

    async def _load_active_counts(self, citizen_ids: set[str]) -> None:
        if not citizen_ids:
            return
        self._active.update(dict.fromkeys(citizen_ids, 0))
        rows = await self._conn.execute(
            select(bookings.c.citizen_id, func.count())
            .where(
                bookings.c.citizen_id.in_(citizen_ids),
                bookings.c.status.in_([s.value for s in ACTIVE]),
                bookings.c.starts_at > ts(self._now),
            )
            .group_by(bookings.c.citizen_id)
        )
        self._active.update({citizen_id: count for citizen_id, count in rows})

    # --- queries used by handlers -------------------------------------------------------------
    async def workshop(self, workshop_id: str) -> Workshop | None:
        if workshop_id not in self._workshops:
            await self._load_workshops({workshop_id})
        return self._workshops[workshop_id]

    async def resource(self, resource_id: str) -> Resource | None:
        if resource_id not in self._resources:
            await self._load_resources({resource_id})
        return self._resources[resource_id]

    async def owner_of(self, booking_id: str) -> Workshop | Resource | None:
        booking = self._bookings.get(booking_id)
        if booking is not None:
            workshop_id, resource_id = booking.workshop_id, booking.resource_id
        elif booking_id in self._owners:
            workshop_id, resource_id = self._owners[booking_id]
        else:
            query = select(bookings.c.workshop_id, bookings.c.resource_id).where(bookings.c.booking_id == booking_id)
            row = (await self._conn.execute(query)).first()
            if row is None:
                return None
            workshop_id, resource_id = row
        if workshop_id:
            return await self.workshop(workshop_id)
        return await self.resource(resource_id or "")

    def booking_for_request(self, request_id: str) -> str | None:
        return self._by_request.get(request_id)

    async def elsewhere(self, item_id: str) -> Any:
        """Another node's workshop or resource (site, times, escrow quota), or None."""
        return (await self._conn.execute(_ELSEWHERE, {"item_id": item_id})).first()

    async def owner_elsewhere(self, item_id: str) -> str | None:
        row = await self.elsewhere(item_id)
        return None if row is None else row.site

    async def note_elsewhere(self, item_id: str, site: str, starts_at: datetime | None = None,
                             ends_at: datetime | None = None) -> None:
        if await self.elsewhere(item_id) is None:
            await self._conn.execute(_NOTE_ELSEWHERE, {
                "item_id": item_id, "site": site, "starts_at": ts(starts_at) if starts_at else None,
                "ends_at": ts(ends_at) if ends_at else None, "escrow": 0, "escrow_used": 0,
            })

    async def set_escrow(self, item_id: str, site: str, seats: int, starts_at: datetime, ends_at: datetime) -> None:
        await self.note_elsewhere(item_id, site, starts_at, ends_at)
        await self._conn.execute(update(elsewhere).where(elsewhere.c.item_id == item_id).values(escrow=seats))

    async def take_escrow_seat(self, item_id: str) -> bool:
        """One seat of the owner's quota for a booking confirmed here; False when none is left."""
        result = await self._conn.execute(
            update(elsewhere)
            .where(elsewhere.c.item_id == item_id, elsewhere.c.escrow_used < elsewhere.c.escrow)
            .values(escrow_used=elsewhere.c.escrow_used + 1)
        )
        return bool(result.rowcount)

    async def active_bookings(self, citizen_id: str) -> int:
        if citizen_id not in self._active:
            await self._load_active_counts({citizen_id})
        return self._active[citizen_id]

    # --- changes ------------------------------------------------------------------------------
    def add_workshop(self, workshop: Workshop, request_id: str) -> None:
        self._workshops[workshop.workshop_id] = workshop
        self._new_workshops.append((workshop, request_id))

    def add_resource(self, resource: Resource) -> None:
        self._resources[resource.resource_id] = resource
        self._new_resources.append(resource)

    def booked(self, booking: Booking) -> None:
        """A new booking was created by the domain: count it for its citizen and the request."""
        self._by_request[booking.request_id] = booking.booking_id
        self._bookings[booking.booking_id] = booking
        if booking.active:
            self._active[booking.citizen.citizen_id] = self._active.get(booking.citizen.citizen_id, 0) + 1

    def released(self, booking: Booking) -> None:
        cid = booking.citizen.citizen_id
        self._active[cid] = max(0, self._active.get(cid, 0) - 1)

    def _changed_bookings(self) -> dict[str, Booking]:
        changed: dict[str, Booking] = {}
        for owner in (*self._workshops.values(), *self._resources.values()):
            if owner is not None:
                changed.update((b.booking_id, b) for b in owner.changed if b.booking_id not in self._bookings)
        return changed

    async def save(self) -> None:
        changed = self._changed_bookings()
        new_rows = [booking_row(b) for b in self._bookings.values()]
        changed_rows = [booking_row(b) for b in changed.values()]
        touched = {b.workshop_id for b in (*self._bookings.values(), *changed.values()) if b.workshop_id}
        await self._save_workshops(touched)
        if self._new_resources:
            await self._conn.execute(insert(resources), [
                {"resource_id": r.resource_id, "site": r.site, "kind": r.kind, "name": r.name}
                for r in self._new_resources
            ])
        if new_rows:
            await self._conn.execute(insert(bookings), new_rows)
        if changed_rows:
            await self._conn.execute(
                update(bookings).where(bookings.c.booking_id == bindparam("b_id")),
                [{**r, "b_id": r["booking_id"]} for r in changed_rows],
            )

    async def _save_workshops(self, touched: set[str]) -> None:
        new_ids = {w.workshop_id for w, _ in self._new_workshops}
        if self._new_workshops:
            rows = [{**workshop_row(w), "request_id": rid, "version": 0} for w, rid in self._new_workshops]
            await self._conn.execute(insert(workshops), rows)
        changed = [
            w for wid, w in self._workshops.items()
            if w is not None and wid not in new_ids
            and (wid in touched or self._saved_workshops.get(wid) != workshop_state(w))
        ]
        if changed:
            await self._conn.execute(
                update(workshops).where(workshops.c.workshop_id == bindparam("b_id")),
                [{**workshop_row(w), "b_id": w.workshop_id, "version": self._versions[w.workshop_id] + 1}
                 for w in changed],
            )
        for w in changed:
            self._versions[w.workshop_id] += 1
        for wid in new_ids:
            self._versions[wid] = 0

    def remember(self) -> None:
        """After commit: keep what this transaction saw and wrote, at its new versions."""
        if len(self._cache.entries) > self._cache.max_entries:
            self._cache.clear()
        for wid, workshop in self._workshops.items():
            if workshop is not None:
                workshop.changed.clear()
                self._cache.entries[wid] = (self._versions[wid], workshop)
