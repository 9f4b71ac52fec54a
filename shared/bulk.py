"""Many rows through one statement, without SQLAlchemy's per-row work.

``conn.execute(statement, rows)`` builds every row's parameters in Python (``construct_params``, type
processors): a few µs a row, on SQLite more than the database spends writing it. A hub applies each site
event in six services, with an inbox row, read-model rows and messages each, so that adds up.
``execute_many`` compiles the statement once per shape and hands the driver plain tuples, in the same
transaction as everything else.

Only statements whose every parameter comes from the rows (or from a column's constant default) take
this path; one with a value written in it (``.values(state="sent")``), a default or ``onupdate`` computed
by a function, or an expanding ``IN`` goes through SQLAlchemy as before.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any

from sqlalchemy.engine import Dialect
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlalchemy.sql.dml import UpdateBase

FEW = 4  # fewer rows than this: SQLAlchemy's own path costs less than a lookup here


@dataclass(frozen=True)
class _Plan:
    sql: str
    row_values: Callable[[dict[str, Any]], tuple[Any, ...]]


_plans: dict[tuple[str, object, tuple[str, ...]], _Plan | None] = {}


async def execute_many(conn: AsyncConnection, statement: UpdateBase, rows: Sequence[dict[str, Any]]) -> None:
    """``conn.execute(statement, rows)`` for rows that all have the keys of the first."""
    if not rows:
        return
    plan = _plan(conn.dialect, statement, tuple(rows[0])) if len(rows) >= FEW else None
    if plan is None:
        await conn.execute(statement, list(rows))
        return
    await conn.exec_driver_sql(plan.sql, [plan.row_values(row) for row in rows])


def _plan(dialect: Dialect, statement: UpdateBase, keys: tuple[str, ...]) -> _Plan | None:
    cache_key = statement._generate_cache_key()  # SQLAlchemy's own statement cache key: same SQL, same key
    if cache_key is None:
        return None
    key = (dialect.name, cache_key.key, keys)
    if key not in _plans:
        _plans[key] = _compile(dialect, statement, keys)
    return _plans[key]


def _compile(dialect: Dialect, statement: UpdateBase, keys: tuple[str, ...]) -> _Plan | None:
    compiled = statement.compile(dialect=dialect, column_keys=list(keys), for_executemany=True)
    names = compiled.positiontup
    if names is None or compiled.update_prefetch:
        return None  # a named paramstyle, or ``onupdate`` values computed per row
    # A column left out of the rows gets its default: a constant of the table's, never a function's.
    defaults = {c.key: c.default for c in compiled.insert_prefetch}
    constants: dict[str, Any] = {}
    processors: list[tuple[int, Callable[[Any], Any]]] = []
    for position, name in enumerate(names):
        bind = compiled.binds[name]
        if bind.expanding or bind.literal_execute or bind.callable is not None:
            return None
        process = bind.type.dialect_impl(dialect).bind_processor(dialect)
        if name in keys:
            if process is not None:
                processors.append((position, process))
        elif name in defaults and getattr(defaults[name], "is_scalar", False):
            value = defaults[name].arg  # type: ignore[union-attr]
            constants[name] = process(value) if process is not None else value
        else:
            # A value written in the statement (``.values(state="sent")``): statements that differ only in
            # it share a cache key, so a plan must not keep it.
            return None
    return _Plan(compiled.string, _row_values(names, constants, processors))


def _row_values(names: Sequence[str], constants: dict[str, Any],
                processors: list[tuple[int, Callable[[Any], Any]]]) -> Callable[[dict[str, Any]], tuple[Any, ...]]:
    """A row's values in the statement's order: one C call for the lot, then the few that need a type's
    processing (a float column on SQLite, a boolean on PostgreSQL)."""
    if constants:
        fetch_keyed = itemgetter(*names)
        fetch: Callable[[dict[str, Any]], Any] = lambda row: fetch_keyed({**constants, **row})  # noqa: E731
    else:
        fetch = itemgetter(*names)
    if len(names) == 1:
        single = fetch
        fetch = lambda row: (single(row),)  # noqa: E731
    if not processors:
        return fetch

    def processed(row: dict[str, Any]) -> tuple[Any, ...]:
        values = list(fetch(row))
        for position, process in processors:
            values[position] = process(values[position])
        return tuple(values)

    return processed
