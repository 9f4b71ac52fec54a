"""Booking's tables, repositories and unit of work (SQLAlchemy Core, batch-friendly).

A batch of requests is decided in memory: ``preload`` fetches every aggregate the batch touches in
a few queries, handlers change plain model objects, and ``save_state`` writes back only what changed
(diffed against a snapshot taken at load) with one executemany per table.
"""

from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    and_,
    bindparam,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection

from services.booking.model import ACTIVE, Booking, Citizen, Resource, Rules, Status, Workshop
from shared.contract import attendance as att
from shared.contract import booking as bk
from shared.contract.envelope import Event
from shared.messaging import MessagingTables, UnitOfWork

metadata = MetaData()
messaging = MessagingTables(metadata, "booking")

workshops = Table(
    "booking_workshops", metadata,
    Column("workshop_id", String(80), primary_key=True),
    Column("request_id", String(80), nullable=False),
    Column("series_id", String(80)),
    Column("site", String(32), nullable=False, index=True),
    Column("room", String(80), nullable=False),
    Column("title", String(160), nullable=False),
    Column("themes", String(400), nullable=False),
    Column("level", String(20), nullable=False),
    Column("starts_at", Float, nullable=False, index=True),
    Column("ends_at", Float, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("status", String(12), nullable=False),
    Column("queue_counter", Integer, nullable=False),
)
resources = Table(
    "booking_resources", metadata,
    Column("resource_id", String(80), primary_key=True),
    Column("site", String(32), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("name", String(80), nullable=False),
)
bookings = Table(
    "booking_bookings", metadata,
    Column("booking_id", String(80), primary_key=True),
    Column("request_id", String(80), nullable=False, unique=True),
    Column("workshop_id", String(80), index=True),
    Column("resource_id", String(80), index=True),
    Column("citizen_id", String(64), nullable=False, index=True),
    Column("age_bracket", String(32), nullable=False),
    Column("commune_insee", String(5)),
    Column("social_status", String(20), nullable=False),
    Column("gender", String(20), nullable=False),
    Column("status", String(12), nullable=False),
    Column("starts_at", Float, nullable=False),
    Column("ends_at", Float, nullable=False),
    Column("queue_seq", Integer, nullable=False),
    Column("walk_in", Boolean, nullable=False),
    Column("booked_by_staff", String(64)),
)


def _ts(value: datetime) -> float:
    return value.timestamp()


def _dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def _booking_row(b: Booking) -> dict[str, Any]:
    c = b.citizen
    return {
        "booking_id": b.booking_id, "request_id": b.request_id, "workshop_id": b.workshop_id,
        "resource_id": b.resource_id, "citizen_id": c.citizen_id, "age_bracket": c.age_bracket,
        "commune_insee": c.commune_insee, "social_status": c.status, "gender": c.gender,
        "status": str(b.status), "starts_at": _ts(b.starts_at), "ends_at": _ts(b.ends_at),
        "queue_seq": b.queue_seq, "walk_in": b.walk_in, "booked_by_staff": b.booked_by_staff,
    }


def _booking_from(r: Any) -> Booking:
    citizen = Citizen(r.citizen_id, r.age_bracket, r.commune_insee, r.social_status, r.gender)
    return Booking(
        r.booking_id, r.request_id, citizen, Status(r.status), _dt(r.starts_at), _dt(r.ends_at),
        workshop_id=r.workshop_id, resource_id=r.resource_id, queue_seq=r.queue_seq,
        walk_in=bool(r.walk_in), booked_by_staff=r.booked_by_staff,
    )


def _workshop_row(w: Workshop) -> dict[str, Any]:
    return {
        "workshop_id": w.workshop_id, "series_id": w.series_id, "site": w.site, "room": w.room,
        "title": w.title, "themes": "|".join(w.themes), "level": w.level, "starts_at": _ts(w.starts_at),
        "ends_at": _ts(w.ends_at), "capacity": w.capacity, "status": w.status, "queue_counter": w.queue_counter,
    }


def _workshop_from(r: Any) -> Workshop:
    return Workshop(
        r.workshop_id, r.site, r.room, r.title, r.themes.split("|"), r.level, _dt(r.starts_at), _dt(r.ends_at),
        r.capacity, series_id=r.series_id, status=r.status, queue_counter=r.queue_counter,
    )


class BookingRepository:
    """Workshops with their bookings, resources with their slots, and per-citizen counts."""

    def __init__(self, conn: AsyncConnection, now: datetime) -> None:
        self._conn = conn
        self._now = now
        self._workshops: dict[str, Workshop | None] = {}
        self._resources: dict[str, Resource | None] = {}
        self._by_booking: dict[str, Booking] = {}
        self._by_request: dict[str, str] = {}
        self._active: dict[str, int] = {}
        self._saved_bookings: dict[str, tuple[Any, ...]] = {}
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
            if isinstance(e, bk.BookingRequested | att.WalkInRequested | att.SessionCloseRequested
                          | bk.WorkshopCancelRequested | bk.WorkshopRescheduleRequested):
                workshop_ids.add(e.workshop_id)
            elif isinstance(e, bk.WorkshopScheduleRequested):
                workshop_ids.update(series_ids(e.workshop_id, e.weekly_occurrences))
            elif isinstance(e, bk.SlotRequested | bk.ResourceAddRequested):
                resource_ids.add(e.resource_id)
            elif isinstance(e, bk.CancelRequested | att.CheckInRequested):
                booking_ids.add(e.booking_id)
        if booking_ids:
            rows = await self._conn.execute(
                select(bookings.c.workshop_id, bookings.c.resource_id).where(bookings.c.booking_id.in_(booking_ids))
            )
            for workshop_id, resource_id in rows:
                if workshop_id:
                    workshop_ids.add(workshop_id)
                if resource_id:
                    resource_ids.add(resource_id)
        await self._load_workshops(workshop_ids - self._workshops.keys())
        await self._load_resources(resource_ids - self._resources.keys())
        await self._load_requests(request_ids - self._by_request.keys())
        await self._load_active_counts(citizen_ids - self._active.keys())

    async def _load_workshops(self, ids: set[str]) -> None:
        if not ids:
            return
        for r in await self._conn.execute(select(workshops).where(workshops.c.workshop_id.in_(ids))):
            w = _workshop_from(r)
            self._workshops[w.workshop_id] = w
            self._saved_workshops[w.workshop_id] = astuple_workshop(w)
        rows = await self._conn.execute(
            select(bookings).where(bookings.c.workshop_id.in_(ids), bookings.c.status != Status.cancelled.value)
        )
        for r in rows:
            b = _booking_from(r)
            owner = self._workshops.get(b.workshop_id or "")
            if owner is not None:
                owner.bookings.append(b)
                self._track(b)
        for missing in ids - self._workshops.keys():
            self._workshops[missing] = None

    async def _load_resources(self, ids: set[str]) -> None:
        if not ids:
            return
        for r in await self._conn.execute(select(resources).where(resources.c.resource_id.in_(ids))):
            self._resources[r.resource_id] = Resource(r.resource_id, r.site, r.kind, r.name)
        rows = await self._conn.execute(
            select(bookings).where(
                bookings.c.resource_id.in_(ids),
                bookings.c.status == Status.confirmed.value,
                bookings.c.ends_at > _ts(self._now),
            )
        )
        for r in rows:
            b = _booking_from(r)
            res = self._resources.get(b.resource_id or "")
            if res is not None:
                res.slots.append(b)
                self._track(b)
        for missing in ids - self._resources.keys():
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
                bookings.c.starts_at > _ts(self._now),
            )
            .group_by(bookings.c.citizen_id)
        )
        self._active.update({citizen_id: count for citizen_id, count in rows})

    def _track(self, b: Booking) -> None:
        self._by_booking[b.booking_id] = b
        self._saved_bookings[b.booking_id] = astuple_booking(b)

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
        booking = self._by_booking.get(booking_id)
        if booking is None:
            row = (
                await self._conn.execute(
                    select(bookings.c.workshop_id, bookings.c.resource_id).where(bookings.c.booking_id == booking_id)
                )
            ).first()
            if row is None:
                return None
            if row.workshop_id:
                return await self.workshop(row.workshop_id)
            return await self.resource(row.resource_id)
        if booking.workshop_id:
            return await self.workshop(booking.workshop_id)
        return await self.resource(booking.resource_id or "")

    def booking_for_request(self, request_id: str) -> str | None:
        return self._by_request.get(request_id)

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
        self._by_booking[booking.booking_id] = booking
        if booking.active:
            self._active[booking.citizen.citizen_id] = self._active.get(booking.citizen.citizen_id, 0) + 1

    def released(self, booking: Booking) -> None:
        cid = booking.citizen.citizen_id
        self._active[cid] = max(0, self._active.get(cid, 0) - 1)

    async def save(self) -> None:
        new_bookings, changed_bookings = [], []
        for booking_id, b in self._by_booking.items():
            saved = self._saved_bookings.get(booking_id)
            if saved is None:
                new_bookings.append(_booking_row(b))
            elif saved != astuple_booking(b):
                changed_bookings.append(_booking_row(b))
        if self._new_workshops:
            rows = [{**_workshop_row(w), "request_id": rid} for w, rid in self._new_workshops]
            await self._conn.execute(insert(workshops), rows)
        new_ids = {w.workshop_id for w, _ in self._new_workshops}
        changed_workshops = [
            _workshop_row(w) for wid, w in self._workshops.items()
            if w is not None and wid not in new_ids and self._saved_workshops.get(wid) != astuple_workshop(w)
        ]
        if changed_workshops:
            await self._conn.execute(
                update(workshops).where(workshops.c.workshop_id == bindparam("b_id")),
                [{**r, "b_id": r["workshop_id"]} for r in changed_workshops],
            )
        if self._new_resources:
            await self._conn.execute(
                insert(resources),
                [{"resource_id": r.resource_id, "site": r.site, "kind": r.kind, "name": r.name}
                 for r in self._new_resources],
            )
        if new_bookings:
            await self._conn.execute(insert(bookings), new_bookings)
        if changed_bookings:
            await self._conn.execute(
                update(bookings).where(bookings.c.booking_id == bindparam("b_id")),
                [{**r, "b_id": r["booking_id"]} for r in changed_bookings],
            )


def astuple_booking(b: Booking) -> tuple[Any, ...]:
    return (b.status, b.starts_at, b.ends_at, b.walk_in, b.queue_seq)


def astuple_workshop(w: Workshop) -> tuple[Any, ...]:
    return (w.status, w.starts_at, w.ends_at, w.room, w.queue_counter)


def series_ids(workshop_id: str, occurrences: int) -> list[str]:
    if occurrences == 1:
        return [workshop_id]
    return [f"{workshop_id}-{i + 1}" for i in range(occurrences)]


class BookingUnitOfWork(UnitOfWork):
    repo: BookingRepository
    rules: Rules = Rules()

    async def __aenter__(self) -> "BookingUnitOfWork":
        await super().__aenter__()
        self.repo = BookingRepository(self.conn, self.now())
        return self

    async def preload(self, events: list[Event]) -> None:
        await self.repo.preload(events)

    async def save_state(self) -> None:
        await self.repo.save()


async def business_figures(conn: AsyncConnection, now: datetime) -> dict[str, int]:
    """Figures for the business gauges: upcoming sessions, bookings by status, waitlist length."""
    upcoming = and_(bookings.c.starts_at > _ts(now))
    rows = await conn.execute(
        select(bookings.c.status, func.count()).where(upcoming).group_by(bookings.c.status)
    )
    figures = {f"bookings_{status}": count for status, count in rows}
    figures["workshops_upcoming"] = await conn.scalar(
        select(func.count()).select_from(workshops).where(
            workshops.c.starts_at > _ts(now), workshops.c.status == "scheduled"
        )
    ) or 0
    return figures


