"""The workshop catalogue every front-end reads: workshops and their seats, fed by booking/attendance outcomes.

Each front-end keeps its own copy (tables prefixed by its name, in its own database): ``catalogue_tables``
builds the tables, ``catalogue_handlers`` the handlers that keep them, and the queries read them.
"""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, Column, ColumnElement, Float, Integer, MetaData, String, Table, func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from shared.contract import attendance as att
from shared.contract import booking as bk
from shared.contract.envelope import Event

SEATED = ("confirmed", "attended")
ACTIVE = ("confirmed", "waitlisted")


@dataclass(frozen=True)
class CatalogueTables:
    workshops: Table
    bookings: Table


def catalogue_tables(metadata: MetaData, prefix: str) -> CatalogueTables:
    workshops = Table(
        f"{prefix}_workshops", metadata,
        Column("workshop_id", String(80), primary_key=True),
        Column("site", String(32), nullable=False, index=True),
        Column("room", String(80), nullable=False),
        Column("title", String(160), nullable=False),
        Column("themes", String(400), nullable=False),
        Column("level", String(20), nullable=False),
        Column("starts_at", Float, nullable=False, index=True),
        Column("ends_at", Float, nullable=False),
        Column("capacity", Integer, nullable=False),
        Column("status", String(12), nullable=False),  # scheduled | cancelled | closed
    )
    bookings = Table(
        f"{prefix}_bookings", metadata,
        Column("booking_id", String(80), primary_key=True),
        Column("workshop_id", String(80), nullable=False, index=True),
        Column("site", String(32), nullable=False),
        Column("citizen_id", String(64), nullable=False, index=True),
        Column("status", String(12), nullable=False),  # confirmed | waitlisted | cancelled | attended | no_show
        Column("walk_in", Boolean, nullable=False, default=False),
        Column("queued", String(40), nullable=False, default=""),  # HLC when waitlisted: the queue order
        Column("age_bracket", String(32), nullable=False, default="non_communique"),
        Column("commune_insee", String(5)),
        Column("booked_by_staff", String(64)),
        Column("starts_at", Float, nullable=False),
    )
    return CatalogueTables(workshops, bookings)


Handler = Callable[[Any, Any], Awaitable[None]]


def catalogue_handlers(t: CatalogueTables) -> dict[type[Event], Handler]:
    """Handlers for a ``ReadModelUnitOfWork``: they note row changes, written for the whole batch at commit."""

    async def scheduled(e: bk.WorkshopScheduled, uow: Any) -> None:
        uow.rows.upsert(t.workshops, {"workshop_id": e.workshop_id}, {
            "site": e.site, "room": e.room, "title": e.title, "themes": ",".join(e.themes), "level": e.level,
            "starts_at": e.starts_at.timestamp(), "ends_at": e.ends_at.timestamp(), "capacity": e.capacity,
            "status": "scheduled",
        })

    async def rescheduled(e: bk.WorkshopRescheduled, uow: Any) -> None:
        uow.rows.change(t.workshops, {"workshop_id": e.workshop_id}, {
            "room": e.room, "starts_at": e.starts_at.timestamp(), "ends_at": e.ends_at.timestamp()})
        await uow.rows.update_where(t.bookings, t.bookings.c.workshop_id == e.workshop_id,
                                    {"starts_at": e.starts_at.timestamp()})

    async def workshop_cancelled(e: bk.WorkshopCancelled, uow: Any) -> None:
        uow.rows.change(t.workshops, {"workshop_id": e.workshop_id}, {"status": "cancelled"})

    async def closed(e: att.SessionClosed, uow: Any) -> None:
        uow.rows.change(t.workshops, {"workshop_id": e.workshop_id}, {"status": "closed"})

    async def confirmed(e: bk.BookingConfirmed, uow: Any) -> None:
        if e.workshop_id is not None:  # slots at a workstation are not in the catalogue
            _booking(uow, e, e.workshop_id, "confirmed", e.booked_by_staff)

    async def waitlisted(e: bk.BookingWaitlisted, uow: Any) -> None:
        _booking(uow, e, e.workshop_id, "waitlisted", e.booked_by_staff, queued=e.hlc)

    async def promoted(e: bk.BookingPromoted, uow: Any) -> None:
        uow.rows.change(t.bookings, {"booking_id": e.booking_id}, {"status": "confirmed"})

    async def cancelled(e: bk.BookingCancelled, uow: Any) -> None:
        uow.rows.change(t.bookings, {"booking_id": e.booking_id}, {"status": "cancelled"})

    async def checked_in(e: att.CheckedIn, uow: Any) -> None:
        _booking(uow, e, e.workshop_id, "attended", walk_in=e.walk_in)

    async def no_show(e: att.NoShow, uow: Any) -> None:
        uow.rows.change(t.bookings, {"booking_id": e.booking_id}, {"status": "no_show"})

    def _booking(uow: Any, e: Any, workshop_id: str, status: str, staff: str | None = None, **extra: Any) -> None:
        values = {"workshop_id": workshop_id, "site": e.site, "citizen_id": e.citizen.citizen_id, "status": status,
                  "age_bracket": e.citizen.age_bracket, "commune_insee": e.citizen.commune_insee,
                  "starts_at": e.starts_at.timestamp(), **extra}
        if staff:
            values["booked_by_staff"] = staff
        uow.rows.upsert(t.bookings, {"booking_id": e.booking_id}, values)

    return {
        bk.WorkshopScheduled: scheduled, bk.WorkshopRescheduled: rescheduled, bk.WorkshopCancelled: workshop_cancelled,
        att.SessionClosed: closed, bk.BookingConfirmed: confirmed, bk.BookingWaitlisted: waitlisted,
        bk.BookingPromoted: promoted, bk.BookingCancelled: cancelled, att.CheckedIn: checked_in, att.NoShow: no_show,
    }


# --- reading -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class WorkshopView:
    workshop_id: str
    site: str
    room: str
    title: str
    themes: list[str]
    level: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    status: str
    seated: int
    waiting: int

    @property
    def seats_left(self) -> int:
        return max(0, self.capacity - self.seated)


@dataclass(frozen=True)
class BookingView:
    booking_id: str
    workshop: WorkshopView
    status: str
    position: int | None  # place on the waitlist, 1 = next


def _when(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


async def workshops(
    conn: AsyncConnection, t: CatalogueTables, *, after: datetime, before: datetime | None = None,
    site: str | None = None, theme: str | None = None, ids: list[str] | None = None, only_scheduled: bool = True,
) -> list[WorkshopView]:
    w, b = t.workshops, t.bookings
    where: list[ColumnElement[bool]] = (
        [w.c.workshop_id.in_(ids)] if ids is not None else [w.c.starts_at >= after.timestamp()])
    if before is not None:
        where.append(w.c.starts_at < before.timestamp())
    if site:
        where.append(w.c.site == site)
    if theme:
        where.append(w.c.themes.contains(theme))
    if only_scheduled:
        where.append(w.c.status == "scheduled")
    query = select(w).where(*where).order_by(w.c.starts_at, w.c.title)
    rows = (await conn.execute(query.limit(500))).mappings().all()
    counts: dict[tuple[str, str], int] = {}
    if rows:
        grouped = select(b.c.workshop_id, b.c.status, func.count()).where(
            b.c.workshop_id.in_([r["workshop_id"] for r in rows])).group_by(b.c.workshop_id, b.c.status)
        counts = {(wid, status): n for wid, status, n in (await conn.execute(grouped)).all()}
    return [_view(r, counts) for r in rows]


def _view(r: Any, counts: dict[tuple[str, str], int]) -> WorkshopView:
    wid = r["workshop_id"]
    return WorkshopView(
        wid, r["site"], r["room"], r["title"], r["themes"].split(","), r["level"], _when(r["starts_at"]),
        _when(r["ends_at"]), r["capacity"], r["status"], sum(counts.get((wid, s), 0) for s in SEATED),
        counts.get((wid, "waitlisted"), 0),
    )


async def workshop(conn: AsyncConnection, t: CatalogueTables, workshop_id: str) -> WorkshopView | None:
    found = await workshops(conn, t, after=_when(0), ids=[workshop_id], only_scheduled=False)
    return found[0] if found else None


async def booking_row(conn: AsyncConnection, t: CatalogueTables, booking_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(select(t.bookings).where(t.bookings.c.booking_id == booking_id))).mappings().first()
    return dict(row) if row else None


async def waitlist_position(conn: AsyncConnection, t: CatalogueTables, workshop_id: str, queued: str) -> int:
    b = t.bookings
    ahead = await conn.scalar(select(func.count()).select_from(b).where(
        b.c.workshop_id == workshop_id, b.c.status == "waitlisted", b.c.queued < queued))
    return int(ahead or 0) + 1


async def bookings_of(conn: AsyncConnection, t: CatalogueTables, citizen_id: str, after: datetime) -> list[BookingView]:
    """A person's active bookings of sessions still to come, soonest first."""
    b = t.bookings
    rows = (await conn.execute(select(b).where(
        b.c.citizen_id == citizen_id, b.c.status.in_(ACTIVE), b.c.starts_at >= after.timestamp(),
    ).order_by(b.c.starts_at))).mappings().all()
    views = {w.workshop_id: w for w in await workshops(
        conn, t, after=after, ids=[r["workshop_id"] for r in rows])} if rows else {}
    out = []
    for r in rows:
        if r["workshop_id"] not in views:
            continue
        position = None
        if r["status"] == "waitlisted":
            position = await waitlist_position(conn, t, r["workshop_id"], r["queued"])
        out.append(BookingView(r["booking_id"], views[r["workshop_id"]], r["status"], position))
    return out
