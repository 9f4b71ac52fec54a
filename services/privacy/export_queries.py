"""Small read-only queries over the other services' tables of this node, for the export only.

Each service owns its tables; reading them here is acceptable for one reason: the right of access
asks for *everything* held about a person, at once, and a one-off read of a few rows by id needs no
API of its own. The reads are read-only by construction (SQLite ``mode=ro``; PostgreSQL read-only
transactions) and filtered by the person's id, so nothing of anyone else can come out.
"""

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Table, inspect, select
from sqlalchemy.ext.asyncio import AsyncConnection, create_async_engine

from services.booking import tables as booking
from services.inventory import tables as inventory
from services.notifications import tables as notifications
from services.privacy import tables as privacy
from services.reporting import tables as reporting
from shared.settings import NodeSettings

Rows = list[dict[str, Any]]


@dataclass(frozen=True)
class Source:
    service: str
    table: Table
    column: str  # the column holding the person's pseudonymous id
    label: str  # heading in the bundle (French, for the person)


SOURCES: tuple[Source, ...] = (
    Source("notifications", notifications.contacts, "citizen_id", "Coordonnées (annuaire)"),
    Source("notifications", notifications.consents, "citizen_id", "Consentements par canal"),
    Source("notifications", notifications.purpose_consents, "citizen_id", "Consentements par finalité"),
    Source("notifications", notifications.messages, "recipient", "Messages prévus ou envoyés"),
    Source("notifications", notifications.bookings, "citizen_id", "Réservations suivies pour les messages"),
    Source("notifications", notifications.calls, "citizen_id", "Liste d'appels"),
    Source("notifications", notifications.erased, "citizen_id", "Effacement (annuaire)"),
    Source("booking", booking.bookings, "citizen_id", "Réservations"),
    Source("inventory", inventory.loans, "citizen_id", "Prêts de matériel"),
    Source("reporting", reporting.citizens, "citizen_id", "Statistiques : profil"),
    Source("reporting", reporting.attendance, "citizen_id", "Statistiques : présences"),
    Source("reporting", reporting.accompaniments, "citizen_id", "Statistiques : accompagnements"),
    Source("reporting", reporting.bookings, "citizen_id", "Statistiques : réservations"),
    Source("reporting", reporting.loans, "citizen_id", "Statistiques : prêts"),
    Source("privacy", privacy.people, "citizen_id", "Dernière activité"),
    Source("privacy", privacy.erasures, "citizen_id", "Effacement (journal)"),
    Source("privacy", privacy.applied, "citizen_id", "Effacement : appliqué par lieu"),
    Source("privacy", privacy.scrubs, "citizen_id", "Effacement : copies supprimées des flux"),
    Source("privacy", privacy.access_log, "citizen_id", "Consultations de vos données"),
)
SERVICES = tuple(dict.fromkeys(s.service for s in SOURCES))


def readonly_url(url: str) -> str | None:
    """The URL to read a service's database without being able to write; None: no such database."""
    if not url.startswith("sqlite"):
        return url
    path = Path(url.split("///", 1)[-1])
    if not path.exists():  # never create an empty database by looking for one
        return None
    return f"sqlite+aiosqlite:///file:{path.resolve()}?mode=ro&uri=true"


@asynccontextmanager
async def reading(settings: NodeSettings, service: str) -> AsyncIterator[AsyncConnection | None]:
    url = readonly_url(settings.database_url_for(service))
    if url is None:
        yield None
        return
    options = {} if url.startswith("sqlite") else {"postgresql_readonly": True}
    engine = create_async_engine(url, execution_options=options)
    try:
        async with engine.connect() as conn:
            yield conn
    finally:
        await engine.dispose()


async def _has(conn: AsyncConnection, table: Table) -> bool:
    return bool(await conn.run_sync(lambda sync: inspect(sync).has_table(table.name)))


async def rows_about(conn: AsyncConnection, table: Table, column: str, citizen_id: str) -> Rows:
    if not await _has(conn, table):
        return []
    result = await conn.execute(select(table).where(table.c[column] == citizen_id).order_by(*table.primary_key))
    return [dict(r._mapping) for r in result]


async def rows_in(conn: AsyncConnection, table: Table, column: str, values: list[Any]) -> Rows:
    if not values or not await _has(conn, table):
        return []
    query = select(table).where(table.c[column].in_(values)).order_by(*table.primary_key)
    return [dict(r._mapping) for r in await conn.execute(query)]


async def loan_history(conn: AsyncConnection, citizen_id: str) -> Rows:
    """Asset history lines that name the person (a loan's events), decoded."""
    h = inventory.history
    if not await _has(conn, h):
        return []
    rows = await conn.execute(select(h).where(h.c.body.contains(citizen_id)).order_by(h.c.id))
    found = []
    for r in rows:
        body = json.loads(r.body)
        if citizen_id in json.dumps(body):
            found.append({**dict(r._mapping), "body": body})
    return found


async def follow_ups(service: str, conn: AsyncConnection, held: dict[str, Rows], citizen_id: str) -> dict[str, Rows]:
    """What hangs off the person's rows: delivery log of their messages, workshops they booked."""
    if service == "notifications":
        ids = [m["id"] for m in held.get(notifications.messages.name, [])]
        deliveries = await rows_in(conn, notifications.deliveries, "message_id", ids)
        attempts = await rows_in(conn, notifications.attempts, "delivery_id", [d["id"] for d in deliveries])
        return {notifications.deliveries.name: deliveries, notifications.attempts.name: attempts}
    if service == "booking":
        ids = sorted({b["workshop_id"] for b in held.get(booking.bookings.name, []) if b["workshop_id"]})
        return {booking.workshops.name: await rows_in(conn, booking.workshops, "workshop_id", ids)}
    if service == "inventory":
        return {inventory.history.name: await loan_history(conn, citizen_id)}
    return {}


LABELS = {
    notifications.deliveries.name: "Envois (un par canal essayé)",
    notifications.attempts.name: "Journal des envois",
    booking.workshops.name: "Ateliers réservés",
    inventory.history.name: "Historique des prêts",
    **{s.table.name: s.label for s in SOURCES},
}


async def held_by(settings: NodeSettings, service: str, citizen_id: str) -> dict[str, Rows] | None:
    """Every row of ``service`` on this node about the person; None: the service keeps no data here."""
    async with reading(settings, service) as conn:
        if conn is None:
            return None
        held = {s.table.name: await rows_about(conn, s.table, s.column, citizen_id)
                for s in SOURCES if s.service == service}
        held.update(await follow_ups(service, conn, held, citizen_id))
        return held
