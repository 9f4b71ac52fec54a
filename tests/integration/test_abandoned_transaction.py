"""A transaction left open by a frozen process (SIGSTOP, a paused VM) must not stall the others for ever."""

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from shared import db
from shared.consumer import is_transient
from tests.support.bus import eventually


async def test_an_abandoned_transaction_ends_in_a_transient_error(
    database_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(db, "BUSY_WAIT", 0.5)
    engine = db.make_engine(database_url)
    try:
        holder = await engine.connect()
        await holder.begin()
        await holder.execute(text("SELECT 1"))  # then nothing: the process is frozen
        if engine.dialect.name == "sqlite":
            # No server to end it: the next writer gives up after BUSY_WAIT with an error it retries.
            with pytest.raises(DBAPIError) as waited:
                async with engine.begin() as conn:
                    await conn.execute(text("SELECT 1"))
            assert is_transient(waited.value), waited.value
        else:
            # The server ends the session after IDLE_IN_TRANSACTION_MS, releasing whatever it locked.
            async def sessions_idle_in_transaction() -> int:
                async with engine.connect() as conn:
                    query = ("SELECT count(*) FROM pg_stat_activity WHERE state = 'idle in transaction'"
                             " AND datname = current_database()")
                    return int((await conn.execute(text(query))).scalar() or 0)

            await eventually(sessions_idle_in_transaction, lambda n: n == 0, 30, "the server to end the session")
            with pytest.raises(DBAPIError) as woke:
                await holder.execute(text("SELECT 1"))  # the frozen process wakes up
            assert is_transient(woke.value), woke.value
        await holder.invalidate()
        await holder.close()
    finally:
        await engine.dispose()
