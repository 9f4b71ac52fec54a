"""What the console's screens read from its own store."""

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.console import tables as t
from services.public import catalogue as cat


@dataclass(frozen=True)
class Attendee:
    booking_id: str
    citizen_id: str
    name: str
    status: str
    walk_in: bool
    position: int | None
    age_bracket: str


async def names(conn: AsyncConnection, citizen_ids: list[str]) -> dict[str, str]:
    if not citizen_ids:
        return {}
    rows = await conn.execute(select(t.people).where(t.people.c.citizen_id.in_(citizen_ids)))
    return {r.citizen_id: r.display_name for r in rows}


async def attendees(conn: AsyncConnection, workshop_id: str) -> list[Attendee]:
    b = t.catalogue.bookings
    rows = (await conn.execute(select(b).where(
        b.c.workshop_id == workshop_id, b.c.status != "cancelled").order_by(b.c.queued))).mappings().all()
    known = await names(conn, [r["citizen_id"] for r in rows])
    out, waiting = [], 0
    for r in rows:
        position = None
        if r["status"] == "waitlisted":
            waiting += 1
            position = waiting
        name = known.get(r["citizen_id"], f"Personne {r['citizen_id'][-6:]}")
        out.append(Attendee(r["booking_id"], r["citizen_id"], name, r["status"], r["walk_in"], position,
                            r["age_bracket"]))
    order = {"confirmed": 0, "attended": 0, "no_show": 1, "waitlisted": 2}
    return sorted(out, key=lambda a: (order.get(a.status, 3), a.position or 0, a.name.lower()))


async def sessions_between(conn: AsyncConnection, site: str, start: datetime, end: datetime) -> list[cat.WorkshopView]:
    return await cat.workshops(conn, t.catalogue, after=start, before=end, site=site, only_scheduled=False)


async def asset(conn: AsyncConnection, tag: str) -> dict[str, Any] | None:
    row = (await conn.execute(select(t.assets).where(t.assets.c.asset_tag == tag))).mappings().first()
    return dict(row) if row else None


async def active_loan(conn: AsyncConnection, tag: str) -> dict[str, Any] | None:
    row = (await conn.execute(select(t.loans).where(
        t.loans.c.asset_tag == tag, t.loans.c.status == "active"))).mappings().first()
    if row is None:
        return None
    loan = dict(row)
    loan["name"] = (await names(conn, [loan["citizen_id"]])).get(loan["citizen_id"], "") if loan["citizen_id"] else ""
    return loan


async def loans_at(conn: AsyncConnection, site: str, today: date) -> list[dict[str, Any]]:
    rows = (await conn.execute(select(t.loans, t.assets.c.kind, t.assets.c.model).join(
        t.assets, t.assets.c.asset_tag == t.loans.c.asset_tag).where(
        t.loans.c.site == site, t.loans.c.status == "active").order_by(t.loans.c.due_date))).mappings().all()
    known = await names(conn, [r["citizen_id"] for r in rows if r["citizen_id"]])
    return [{**r, "name": known.get(r["citizen_id"] or "", ""), "late": r["due_date"] < today.isoformat()}
            for r in rows]


async def assets_at(conn: AsyncConnection, site: str) -> dict[str, int]:
    rows = await conn.execute(select(t.assets.c.status, func.count()).where(t.assets.c.site == site)
                              .group_by(t.assets.c.status))
    return {status: n for status, n in rows.all()}


async def transfers_to(conn: AsyncConnection, site: str) -> list[dict[str, Any]]:
    rows = (await conn.execute(select(t.transfers).where(
        t.transfers.c.to_site == site, t.transfers.c.in_transit != "").order_by(t.transfers.c.dispatched_at)
    )).mappings().all()
    return [{**r, "tags": r["in_transit"].split(",")} for r in rows]


async def transfer(conn: AsyncConnection, transfer_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(select(t.transfers).where(t.transfers.c.transfer_id == transfer_id))).mappings().first()
    return dict(row) if row else None


async def open_conflicts(conn: AsyncConnection, site: str) -> list[dict[str, Any]]:
    c = t.conflicts
    rows = await conn.execute(select(c).where(
        c.c.resolution.is_(None), (c.c.node_site == site) | (c.c.holding_site == site)).order_by(c.c.detected_at))
    return [dict(r) for r in rows.mappings().all()]


async def conflict(conn: AsyncConnection, conflict_id: str) -> dict[str, Any] | None:
    row = (await conn.execute(select(t.conflicts).where(t.conflicts.c.conflict_id == conflict_id))).mappings().first()
    return dict(row) if row else None


async def origins(conn: AsyncConnection) -> list[dict[str, Any]]:
    return [dict(r) for r in (await conn.execute(select(t.origins).order_by(t.origins.c.origin))).mappings().all()]
