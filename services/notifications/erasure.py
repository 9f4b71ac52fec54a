"""The right to erasure in the directory (see services/privacy): forget the person, cancel what
was not sent, never take a stale card in again, and leave no old page in the database files.

SQLite deletes with ``secure_delete`` (shared/db.py), but in WAL mode the pages that held the card
stay in the ``-wal`` file until a checkpoint, and a ``PASSIVE`` one does not shrink it: the
compaction job runs ``wal_checkpoint(TRUNCATE)`` after each erasure, retried until no reader holds
it back. PostgreSQL gets a ``VACUUM`` of the directory tables (dead rows can no longer be read
back through the database; the files themselves are the server's, see the privacy README).
"""

import json
import logging
from datetime import datetime

from sqlalchemy import delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifications.tables import calls, consents, contacts, erased, messaging, purpose_consents, ts
from shared.service import RunningService

log = logging.getLogger(__name__)
VACUUMED = (contacts, consents, purpose_consents, calls, messaging.outbox)


async def erased_at(conn: AsyncConnection, citizen_id: str) -> float | None:
    value = await conn.scalar(select(erased.c.erased_at).where(erased.c.citizen_id == citizen_id))
    return float(value) if value is not None else None


async def log_erasure(conn: AsyncConnection, citizen_id: str, at: datetime) -> None:
    known = await erased_at(conn, citizen_id)
    if known is None:
        await conn.execute(insert(erased).values(citizen_id=citizen_id, erased_at=ts(at), compacted=False))
    else:
        await conn.execute(update(erased).where(erased.c.citizen_id == citizen_id).values(
            erased_at=max(known, ts(at)), compacted=False,
        ))


async def forget(conn: AsyncConnection, citizen_id: str) -> None:
    """The card, the consents, the call-list entries, and the bot messages (their text has the name)."""
    for table in (purpose_consents, consents, contacts, calls):
        await conn.execute(delete(table).where(table.c.citizen_id == citizen_id))
    outbox = messaging.outbox
    bot = outbox.c.subject.like("%.notification.bot_message")
    rows = await conn.execute(select(outbox.c.id, outbox.c.body).where(bot))
    mine = [row.id for row in rows if json.loads(row.body).get("citizen_id") == citizen_id]
    if mine:
        await conn.execute(delete(outbox).where(outbox.c.id.in_(mine)))


async def compact_after_erasure(service: RunningService) -> bool:
    """Checkpoint the WAL (SQLite) or vacuum (PostgreSQL) once erasures have committed. True: done."""
    async with service.engine.connect() as conn:
        pending = list((await conn.execute(select(erased.c.citizen_id).where(erased.c.compacted.is_(False)))).scalars())
    if not pending:
        return True
    if service.engine.dialect.name == "sqlite":
        done = await _checkpoint(service)
    else:
        await _vacuum(service)
        done = True
    if done:
        async with service.engine.begin() as conn:
            await conn.execute(update(erased).where(erased.c.citizen_id.in_(pending)).values(compacted=True))
        log.info("notifications: directory compacted after %d erasure(s)", len(pending))
    return done


async def _checkpoint(service: RunningService) -> bool:
    async with service.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        driver = raw.driver_connection  # aiosqlite, in autocommit: the pragma runs outside a transaction
        assert driver is not None
        async with driver.execute("PRAGMA wal_checkpoint(TRUNCATE)") as cursor:
            busy, _frames, _copied = await cursor.fetchone()
    return busy == 0


async def _vacuum(service: RunningService) -> None:
    async with service.engine.connect() as conn:
        auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
        for table in VACUUMED:
            await auto.exec_driver_sql(f"VACUUM {table.name}")
