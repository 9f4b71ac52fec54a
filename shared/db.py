"""Database engines: SQLite at sites (WAL, synchronous=FULL), PostgreSQL at the hub, same code."""

import asyncio
import sqlite3
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import aiosqlite
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine


@asynccontextmanager
async def reading(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A connection for reads only: on SQLite it takes no write lock (WAL readers never wait)."""
    async with engine.connect() as conn:
        yield await conn.execution_options(read_only=True)


def make_engine(url: str, **kwargs: Any) -> AsyncEngine:
    if url.startswith("sqlite"):
        return _sqlite_engine(url, **kwargs)
    # A transaction of ours never waits on anything but the database. One left open by a frozen process
    # (SIGSTOP, a paused VM) would hold its row locks, and every other instance behind them, for ever:
    # the server ends it instead, and that process retries when it wakes (a transient error).
    settings = {"idle_in_transaction_session_timeout": str(IDLE_IN_TRANSACTION_MS)}
    kwargs.setdefault("connect_args", {}).setdefault("server_settings", settings)
    return create_async_engine(url, pool_size=5, max_overflow=5, **kwargs)


IDLE_IN_TRANSACTION_MS = 5000
YIELD_EVERY = 0.005  # seconds of statements in a row before the loop gets a turn
GAP = 0.001  # statements further apart than this are not "in a row": the loop ran in between
BUSY_WAIT = 10.0  # how long a writer waits for another to finish before the error is raised (transient)


class LoopConnection(aiosqlite.Connection):
    """aiosqlite with statements run on the event loop's thread; only COMMIT goes to its thread.

    Through SQLAlchemy each aiosqlite statement costs four thread hand-offs (cursor, execute, fetch,
    close): ~540 µs for ``SELECT 1`` against ~15 µs inline, and a booking batch runs ten statements.
    SQLite statements on small rows take microseconds; the one slow step is the fsync of COMMIT,
    which stays off the loop. The loop must never sleep in SQLite's busy handler (the holder of the
    lock may be a coroutine of this very loop), so ``busy_timeout`` is 0 and a statement that finds
    the database locked outside a transaction (``BEGIN IMMEDIATE``) is retried here, asynchronously.
    """

    _run_began = 0.0  # statements running back to back, without the loop getting a turn, since then
    _last_ran = 0.0

    async def _execute(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        if not self._running or not self._connection:
            raise ValueError("Connection closed")
        if getattr(fn, "__name__", "") == "commit":
            return await super()._execute(fn, *args, **kwargs)
        loop = asyncio.get_running_loop()
        now = loop.time()
        if now - self._last_ran > GAP:
            self._run_began = now
        elif now - self._run_began > YIELD_EVERY:
            # A batch of hundreds of statements would otherwise hold the loop (web pages, health checks,
            # NATS pings) for its whole length: let it run between two statements now and then.
            await asyncio.sleep(0)
            self._run_began = loop.time()
        deadline = 0.0
        while True:
            try:
                result = fn(*args, **kwargs)
                self._last_ran = loop.time()
                return result
            except sqlite3.OperationalError as exc:
                if self._connection.in_transaction or "locked" not in str(exc):
                    raise
                now = asyncio.get_running_loop().time()
                deadline = deadline or now + BUSY_WAIT
                if now > deadline:
                    raise
                await asyncio.sleep(0.002)


def _loop_connection(path: str) -> LoopConnection:
    def connector() -> sqlite3.Connection:
        return sqlite3.connect(path, isolation_level=None, check_same_thread=False)

    connection = LoopConnection(connector, iter_chunk_size=64)
    connection._thread.daemon = True  # as SQLAlchemy does for aiosqlite: never hold up interpreter exit
    return connection


def _sqlite_engine(url: str, **kwargs: Any) -> AsyncEngine:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
    if path and path != ":memory:" and "?" not in path:
        kwargs.setdefault("async_creator", lambda: _loop_connection(path))
    engine = create_async_engine(url, **kwargs)

    @event.listens_for(engine.sync_engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        # pysqlite's own transaction handling defers BEGIN; take control so BEGIN IMMEDIATE below
        # holds the write lock from the start (no "database is locked" upgrade failures).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: a committed transaction survives power loss in WAL mode (NORMAL may lose the last ones).
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=0")  # waiting for the write lock: LoopConnection, off the loop
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA secure_delete=ON")
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _begin(conn: Any) -> None:
        # Readers (the outbox relay, gauges) must not queue for the write lock: SQLite's busy handler
        # sleeps up to 100 ms at a time, which was the whole of the request→outcome latency.
        conn.exec_driver_sql("BEGIN" if conn.get_execution_options().get("read_only") else "BEGIN IMMEDIATE")

    return engine
