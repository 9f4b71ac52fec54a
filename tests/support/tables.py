"""Every row of a service's tables, for comparing two runs that must leave the same state."""

from typing import Any

from sqlalchemy import MetaData, select
from sqlalchemy.ext.asyncio import AsyncEngine


async def all_rows(engine: AsyncEngine, metadata: MetaData) -> dict[str, list[dict[str, Any]]]:
    async with engine.connect() as conn:
        return {
            table.name: [dict(r) for r in (await conn.execute(
                select(table).order_by(*table.primary_key.columns))).mappings()]
            for table in metadata.sorted_tables
        }
