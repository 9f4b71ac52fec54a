"""The read-model repository and unit of work: facts are merged into their rows in the same
transaction as the inbox rows of the events they came from, so a redelivery never counts twice."""

from collections.abc import Callable, Iterable
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import bindparam, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.reporting.tables import FACT_TABLES, READ_MODELS, FactTable, messaging
from shared.bulk import execute_many
from shared.contract.envelope import Event
from shared.messaging import UnitOfWork

CHUNK = 2000  # ids per IN (...) clause: well under SQLite's and asyncpg's parameter limits

FactsOf = Callable[[Event, ZoneInfo], list[Any]]


def chunks(values: Iterable[str], size: int = CHUNK) -> Iterable[list[str]]:
    ordered = sorted(values)
    for i in range(0, len(ordered), size):
        yield ordered[i : i + size]


class ReadModels:
    """Facts of one batch: loaded once per table, merged in memory, written as a diff at commit."""

    def __init__(self, conn: AsyncConnection) -> None:
        self._conn = conn
        self._saved: dict[type, dict[str, Any]] = {cls: {} for cls in FACT_TABLES}
        self._current: dict[type, dict[str, Any]] = {cls: {} for cls in FACT_TABLES}

    async def preload(self, facts: Iterable[Any]) -> None:
        wanted: dict[type, set[str]] = {}
        for fact in facts:
            kind = FACT_TABLES[type(fact)]
            key = kind.key_of(fact)
            if key not in self._current[kind.cls]:
                wanted.setdefault(kind.cls, set()).add(key)
        for cls, keys in wanted.items():
            await self._load(FACT_TABLES[cls], keys)

    async def _load(self, kind: FactTable[Any], keys: set[str]) -> None:
        current, saved = self._current[kind.cls], self._saved[kind.cls]
        for part in chunks(keys):
            # FOR UPDATE: a rebuild running beside the live consumer (PostgreSQL) merges, never overwrites.
            query = select(kind.table).where(kind.key_column.in_(part)).with_for_update()
            for row in await self._conn.execute(query):
                fact = kind.from_row(row)
                current[kind.key_of(fact)] = saved[kind.key_of(fact)] = fact
        for key in keys:
            current.setdefault(key, None)

    async def apply(self, facts: Iterable[Any]) -> None:
        for fact in facts:
            kind = FACT_TABLES[type(fact)]
            key = kind.key_of(fact)
            if key not in self._current[kind.cls]:
                await self._load(kind, {key})
            self._current[kind.cls][key] = kind.merge(self._current[kind.cls][key], fact)

    async def save(self) -> None:
        for cls, current in self._current.items():
            kind, saved = FACT_TABLES[cls], self._saved[cls]
            new = [kind.to_row(f) for key, f in current.items() if f is not None and key not in saved]
            changed = [kind.to_row(f) for key, f in current.items() if key in saved and saved[key] != f]
            await execute_many(self._conn, insert(kind.table), new)
            if changed:
                key = kind.key_column.name
                await execute_many(self._conn, update(kind.table).where(kind.key_column == bindparam("k_key")),
                                   [{**row, "k_key": row[key]} for row in changed])


class ReportingUnitOfWork(UnitOfWork):
    models: ReadModels
    zone: ZoneInfo = ZoneInfo("Europe/Paris")
    facts_of: FactsOf

    async def __aenter__(self) -> "ReportingUnitOfWork":
        await super().__aenter__()
        self.models = ReadModels(self.conn)
        self._facts: dict[str, list[Any]] = {}
        return self

    async def preload(self, events: list[Event]) -> None:
        self._facts = {e.event_id: self.facts_of(e, self.zone) for e in events}
        await self.models.preload(f for facts in self._facts.values() for f in facts)

    def facts(self, event: Event) -> list[Any]:
        """The facts ``event`` stands for: worked out once, by ``preload``, for the events of a batch."""
        known = self._facts.pop(event.event_id, None)
        return known if known is not None else self.facts_of(event, self.zone)

    async def save_state(self) -> None:
        await self.models.save()


async def reset(conn: AsyncConnection, consumer: str) -> None:
    """Empty every read model and forget what the consumer processed (rebuild's first step)."""
    for table in READ_MODELS:
        await conn.execute(delete(table))
    inbox = messaging.inbox
    await conn.execute(delete(inbox).where(inbox.c.consumer == consumer))
