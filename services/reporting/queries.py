"""Reading the read models back: the facts of a period, for the indicators, CRA and open data."""

from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.reporting import equipment, model
from services.reporting import tables as t
from services.reporting.indicators import Facts
from services.reporting.model import Period
from services.reporting.store import chunks


async def _facts(conn: AsyncConnection, query: Select[Any], cls: type) -> list[Any]:
    kind = t.FACT_TABLES[cls]
    return [kind.from_row(row) for row in await conn.execute(query)]


def _in_period(column: Any, period: Period) -> Any:
    return column.between(period.first, period.last)


async def load_facts(conn: AsyncConnection, period: Period) -> Facts:
    facts = Facts(
        attendance=await _facts(conn, select(t.attendance).where(_in_period(t.attendance.c.day, period)),
                                model.Attendance),
        sessions=await _facts(conn, select(t.sessions).where(_in_period(t.sessions.c.day, period)), model.Session),
        accompaniments=await _facts(
            conn, select(t.accompaniments).where(_in_period(t.accompaniments.c.day, period)), model.Accompaniment
        ),
        assets=await _facts(conn, select(t.assets), equipment.Asset),
        notices=await _facts(conn, select(t.notices).where(_in_period(t.notices.c.day, period)), model.Notice),
    )
    await _load_bookings(conn, period, facts)
    facts.loans = await _facts(conn, select(t.loans).where(
        t.loans.c.start_day <= period.last,
        or_(t.loans.c.returned_day.is_(None), t.loans.c.returned_day == "", t.loans.c.returned_day >= period.first),
    ), equipment.Loan)
    people = {a.person.citizen_id for a in facts.attendance} | {a.person.citizen_id for a in facts.accompaniments}
    facts.citizens = await load_citizens(conn, people)
    facts.first_visit = await first_visits(conn, people)
    return facts


async def _load_bookings(conn: AsyncConnection, period: Period, facts: Facts) -> None:
    """Bookings are dated by their session's current date (a rescheduled session moves them)."""
    in_period = select(t.workshops.c.workshop_id).where(_in_period(t.workshops.c.day, period))
    query = select(t.bookings).where(or_(
        t.bookings.c.workshop_id.in_(in_period), _in_period(t.bookings.c.day, period)
    ))
    facts.bookings = await _facts(conn, query, model.BookingFact)
    ids = {b.workshop_id for b in facts.bookings if b.workshop_id}
    for part in chunks(ids):
        for w in await _facts(conn, select(t.workshops).where(t.workshops.c.workshop_id.in_(part)), model.Workshop):
            facts.workshops[w.workshop_id] = w


async def load_citizens(conn: AsyncConnection, ids: set[str]) -> dict[str, model.Person]:
    out: dict[str, model.Person] = {}
    for part in chunks(ids):
        for c in await _facts(conn, select(t.citizens).where(t.citizens.c.citizen_id.in_(part)), model.Citizen):
            out[c.person.citizen_id] = c.person
    return out


async def first_visits(conn: AsyncConnection, ids: set[str]) -> dict[str, str]:
    """Each person's first visit anywhere in the network, over the whole history."""
    out: dict[str, str] = {}
    a, i = t.attendance, t.accompaniments
    for part in chunks(ids):
        queries = [
            select(a.c.citizen_id, func.min(a.c.day)).where(
                and_(a.c.citizen_id.in_(part), a.c.status == model.ATTENDED)
            ).group_by(a.c.citizen_id),
            select(i.c.citizen_id, func.min(i.c.day)).where(i.c.citizen_id.in_(part)).group_by(i.c.citizen_id),
        ]
        for query in queries:
            for citizen_id, day in await conn.execute(query):
                out[citizen_id] = min(day, out.get(citizen_id, day))
    return out


async def load_workshops(conn: AsyncConnection, period: Period) -> dict[str, model.Workshop]:
    rows = await _facts(conn, select(t.workshops).where(_in_period(t.workshops.c.day, period)), model.Workshop)
    return {w.workshop_id: w for w in rows}


async def load_rejections(conn: AsyncConnection) -> list[t.Rejected]:
    return await _facts(conn, select(t.rejections).order_by(t.rejections.c.record_id), t.Rejected)


async def load_site_status(conn: AsyncConnection) -> dict[str, dict[str, Any]]:
    rows = await conn.execute(select(t.site_status))
    return {row.site: dict(row._mapping) for row in rows}


async def last_activity_day(conn: AsyncConnection, site: str) -> str | None:
    """The most recent day something happened at a site (open data's ``date_maj``)."""
    days = []
    for table in (t.sessions, t.accompaniments):
        days.append(await conn.scalar(select(func.max(table.c.day)).where(table.c.site == site)))
    known = [d for d in days if d]
    return max(known) if known else None
