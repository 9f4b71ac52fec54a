"""``execute_many`` (shared/bulk.py) hands the driver plain tuples: the rows it leaves must be the very rows
``conn.execute(statement, rows)`` leaves, on SQLite and PostgreSQL, including where it must step aside."""

from collections.abc import AsyncIterator, Callable
from datetime import date
from typing import Any

import pytest
import pytest_asyncio
from sqlalchemy import (
    Boolean,
    Column,
    Date,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    bindparam,
    insert,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from shared import bulk
from shared.bulk import execute_many
from shared.db import make_engine

metadata = MetaData()
things = Table(
    "bulk_things", metadata,
    Column("thing_id", String(20), primary_key=True),
    Column("weight", Float),  # a type SQLite processes on the way in
    Column("lent", Boolean, nullable=False, default=False),  # a constant default, when left out
    Column("count", Integer, nullable=False, default=0),
    Column("bought", Date),
    Column("state", String(20)),
)


@pytest_asyncio.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = make_engine(database_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    yield engine
    await engine.dispose()


def upsert(conn: AsyncConnection) -> Any:
    statement = (sqlite.insert if conn.dialect.name == "sqlite" else postgresql.insert)(things)
    return statement.on_conflict_do_update(index_elements=["thing_id"], set_={"weight": statement.excluded.weight})


ROWS = [{"thing_id": f"t{i}", "weight": i / 4, "lent": i % 2 == 0, "count": i, "bought": date(2026, 1, 1 + i),
         "state": "neuf"} for i in range(12)]

Write = Callable[[AsyncConnection, Any, list[dict[str, Any]]], Any]


async def plain(conn: AsyncConnection, statement: Any, rows: list[dict[str, Any]]) -> None:
    await conn.execute(statement, rows)


async def scenario(engine: AsyncEngine, write: Write) -> list[dict[str, Any]]:
    async with engine.begin() as conn:
        await conn.execute(things.delete())
        await write(conn, insert(things), ROWS[:8])
        await write(conn, insert(things), [{"thing_id": f"d{i}", "weight": 1.5} for i in range(10)])  # defaults
        await write(conn, update(things).where(things.c.thing_id == bindparam("t_id")),
                    [{"t_id": f"t{i}", "weight": 9.0, "state": "prêté"} for i in range(5)])
        await write(conn, upsert(conn), [{**row, "weight": 7.0} for row in ROWS[6:]])
        # Two statements that differ only in a value written in them: each must write its own.
        for state in ("réparé", "perdu"):
            await write(conn, update(things).where(things.c.thing_id == bindparam("t_id")).values(state=state),
                        [{"t_id": f"d{i}"} for i in range(10) if (i % 2 == 0) == (state == "réparé")])
        rows = await conn.execute(select(things).order_by(things.c.thing_id))
        return [dict(r) for r in rows.mappings()]


async def test_rows_written_as_sqlalchemy_writes_them(engine: AsyncEngine) -> None:
    expected = await scenario(engine, plain)
    assert await scenario(engine, execute_many) == expected
    by_id = {r["thing_id"]: r for r in expected}
    assert by_id["t0"]["weight"] == 9.0 and by_id["t0"]["state"] == "prêté"
    assert by_id["t7"]["weight"] == 7.0 and by_id["t11"]["bought"] == date(2026, 1, 12)
    assert by_id["d0"]["lent"] is False and by_id["d0"]["count"] == 0
    assert [by_id[f"d{i}"]["state"] for i in range(10)] == ["réparé", "perdu"] * 5


@pytest.mark.parametrize("statement", ["insert", "update by key", "upsert"])
async def test_the_driver_gets_tuples_for_rows_that_carry_every_value(engine: AsyncEngine, statement: str) -> None:
    bulk._plans.clear()
    async with engine.begin() as conn:
        built = {"insert": insert(things), "upsert": upsert(conn),
                 "update by key": update(things).where(things.c.thing_id == bindparam("t_id"))}[statement]
        rows = ROWS if statement != "update by key" else [{"t_id": r["thing_id"], "weight": 2.0} for r in ROWS]
        await execute_many(conn, built, rows)
    assert [plan for plan in bulk._plans.values() if plan is not None], "the fast path was not taken"


async def test_a_value_written_in_the_statement_goes_through_sqlalchemy(engine: AsyncEngine) -> None:
    bulk._plans.clear()
    async with engine.begin() as conn:
        await execute_many(conn, insert(things), ROWS)
        await execute_many(conn, update(things).where(things.c.thing_id == bindparam("t_id")).values(state="x"),
                           [{"t_id": r["thing_id"]} for r in ROWS])
    assert sorted(plan is None for plan in bulk._plans.values()) == [False, True]
