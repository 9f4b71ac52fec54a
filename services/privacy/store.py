"""Privacy's repository and unit of work. Activity is accumulated per batch (one row per person,
the latest time) and written once at commit: the hub sees every booking of the network."""

from datetime import datetime

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.privacy.model import Person
from services.privacy.tables import access_log, applied, erasures, people, scrubs, ts
from shared.bulk import execute_many
from shared.messaging import UnitOfWork

CHUNK = 500


class PrivacyRepository:
    def __init__(self, conn: AsyncConnection, now: datetime) -> None:
        self._conn = conn
        self._now = now

    async def erased_at(self, citizen_id: str) -> float | None:
        value = await self._conn.scalar(select(erasures.c.erased_at).where(erasures.c.citizen_id == citizen_id))
        return float(value) if value is not None else None

    async def log_erasure(self, citizen_id: str, at: datetime) -> None:
        """Only the id and the date; a later erasure of the same id moves the date forward."""
        known = await self.erased_at(citizen_id)
        if known is None:
            await self._conn.execute(insert(erasures).values(citizen_id=citizen_id, erased_at=ts(at)))
        elif ts(at) > known:
            await self._conn.execute(
                update(erasures).where(erasures.c.citizen_id == citizen_id).values(erased_at=ts(at))
            )

    async def forget(self, citizen_id: str) -> None:
        await self._conn.execute(delete(people).where(people.c.citizen_id == citizen_id))

    async def scrub_later(self, citizen_id: str, before: float, erasure_id: str | None) -> None:
        await self._conn.execute(insert(scrubs).values(
            citizen_id=citizen_id, before_at=before, erasure_id=erasure_id, created_at=ts(self._now),
        ))

    async def mark_applied(self, citizen_id: str, node: str, at: datetime, messages: int) -> None:
        where = (applied.c.citizen_id == citizen_id, applied.c.node == node)
        found = await self._conn.execute(
            update(applied).where(*where).values(applied_at=ts(at), stream_messages=messages)
        )
        if found.rowcount == 0:
            await self._conn.execute(insert(applied).values(
                citizen_id=citizen_id, node=node, applied_at=ts(at), stream_messages=messages,
            ))

    async def people_inactive_since(self, cutoff: float) -> list[Person]:
        rows = await self._conn.execute(
            select(people).where(people.c.registered_at.is_not(None), people.c.last_activity_at < cutoff)
        )
        return [Person(r.citizen_id, r.registered_at, r.last_activity_at) for r in rows]

    async def save_activity(self, touched: dict[str, tuple[float, float | None]]) -> None:
        ids = list(touched)
        for start in range(0, len(ids), CHUNK):
            part = ids[start:start + CHUNK]
            known = {r.citizen_id: r for r in await self._conn.execute(select(people).where(
                people.c.citizen_id.in_(part)))}
            fresh, active, registered_again = [], [], []
            for citizen_id in part:
                at, registered = touched[citizen_id]
                row = known.get(citizen_id)
                if row is None:
                    fresh.append({"citizen_id": citizen_id, "registered_at": registered, "last_activity_at": at})
                elif registered is not None:
                    registered_again.append({"p_id": citizen_id, "last_activity_at": max(at, row.last_activity_at),
                                             "registered_at": max(registered, row.registered_at or registered)})
                elif at > row.last_activity_at:
                    # Only the column this batch moves: a registration another instance writes meanwhile stays.
                    active.append({"p_id": citizen_id, "last_activity_at": at})
            by_id = people.c.citizen_id == bindparam("p_id")
            await execute_many(self._conn, update(people).where(by_id), active)
            await execute_many(self._conn, update(people).where(by_id), registered_again)
            await execute_many(self._conn, insert(people), fresh)


async def record_access(
    conn: AsyncConnection, node: str, staff_id: str, action: str, citizen_id: str | None, at: datetime,
    detail: str | None = None,
) -> None:
    """One line in the access log: who looked at (or exported, or erased) whose personal data."""
    await conn.execute(insert(access_log).values(
        at=ts(at), node=node, staff_id=staff_id, action=action, citizen_id=citizen_id, detail=detail,
    ))


class PrivacyUnitOfWork(UnitOfWork):
    repo: PrivacyRepository

    async def __aenter__(self) -> "PrivacyUnitOfWork":
        await super().__aenter__()
        self.repo = PrivacyRepository(self.conn, self.now())
        self._touched: dict[str, tuple[float, float | None]] = {}
        return self

    def touch(self, citizen_id: str, at: datetime, registered: bool = False) -> None:
        moment = ts(at)
        last, was_registered = self._touched.get(citizen_id, (moment, None))
        registered_at = max(moment, was_registered or moment) if registered else was_registered
        self._touched[citizen_id] = (max(last, moment), registered_at)

    def untouch(self, citizen_id: str) -> None:
        self._touched.pop(citizen_id, None)

    async def save_state(self) -> None:
        if self._touched:
            await self.repo.save_activity(self._touched)
