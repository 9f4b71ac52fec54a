"""Writing read-model rows the same way on SQLite and PostgreSQL: update, and insert when nothing matched."""

from typing import Any

from sqlalchemy import Table, and_, insert, update
from sqlalchemy.ext.asyncio import AsyncConnection


async def upsert(conn: AsyncConnection, table: Table, keys: dict[str, Any], values: dict[str, Any]) -> None:
    where = and_(*(table.c[k] == v for k, v in keys.items()))
    result = await conn.execute(update(table).where(where).values(**values))
    if result.rowcount == 0:
        await conn.execute(insert(table).values(**keys, **values))


async def change(conn: AsyncConnection, table: Table, keys: dict[str, Any], values: dict[str, Any]) -> int:
    """Update only: an outcome about a row this read model never saw (e.g. before it started) is ignored."""
    where = and_(*(table.c[k] == v for k, v in keys.items()))
    return (await conn.execute(update(table).where(where).values(**values))).rowcount
