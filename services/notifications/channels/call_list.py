"""The staff call list: per site, the people to phone today and what to tell them.

Someone lands here when they asked to be phoned, when every other channel failed, or when they
can be reached by no channel at all and staff asked to be told. Entries are written in the
transaction that marks the delivery, and leave the list once done or once the event has started.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifications.tables import calls, contacts, dt, ts


@dataclass(frozen=True)
class CallEntry:
    entry_id: int
    site: str
    citizen_id: str
    display_name: str | None
    phone: str | None
    kind: str
    text: str
    reason: str
    listed_at: datetime
    expires_at: datetime | None


async def add_call(
    conn: AsyncConnection, delivery_id: int, site: str, citizen_id: str, kind: str, text: str, reason: str,
    now: datetime, expires_at: datetime | None,
) -> None:
    await conn.execute(insert(calls).values(
        delivery_id=delivery_id, site=site, citizen_id=citizen_id, kind=kind, text=text, reason=reason,
        listed_at=ts(now), expires_at=ts(expires_at) if expires_at else None,
    ))


async def calls_for_day(conn: AsyncConnection, site: str, day: date, now: datetime, zone: ZoneInfo) -> list[CallEntry]:
    """Open entries listed up to the end of ``day`` (local time) and not past their event."""
    end_of_day = datetime.combine(day + timedelta(days=1), time(0), zone)
    query = (
        select(calls, contacts.c.display_name, contacts.c.phone)
        .join(contacts, contacts.c.citizen_id == calls.c.citizen_id, isouter=True)
        .where(
            calls.c.site == site, calls.c.done_at.is_(None), calls.c.listed_at < ts(end_of_day),
            (calls.c.expires_at.is_(None)) | (calls.c.expires_at > ts(now)),
        )
        .order_by(calls.c.listed_at, calls.c.id)
    )
    return [
        CallEntry(
            r.id, r.site, r.citizen_id, r.display_name, r.phone, r.kind, r.text, r.reason, dt(r.listed_at),
            dt(r.expires_at) if r.expires_at is not None else None,
        )
        for r in await conn.execute(query)
    ]


async def mark_called(conn: AsyncConnection, entry_id: int, staff_id: str | None, now: datetime) -> bool:
    result = await conn.execute(
        update(calls).where(calls.c.id == entry_id, calls.c.done_at.is_(None)).values(done_at=ts(now), done_by=staff_id)
    )
    return result.rowcount == 1


REASONS = {
    "consented": "préfère être appelé",
    "fallback": "message non parvenu",
    "no_channel": "aucun autre moyen de contact",
}


def format_call_list(site_name: str, day_label: str, entries: list[CallEntry]) -> str:
    if not entries:
        return f"{site_name} — {day_label} : personne à appeler."
    lines = [f"{site_name} — {day_label} : {len(entries)} appel(s) à passer", ""]
    for e in entries:
        who = e.display_name or e.citizen_id
        phone = e.phone or "pas de numéro enregistré"
        lines.append(f"[{e.entry_id}] {who} — {phone} ({REASONS.get(e.reason, e.reason)})")
        lines.append(f"    {e.text}")
    return "\n".join(lines)
