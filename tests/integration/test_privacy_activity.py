"""Privacy keeps one row per person with their latest activity and registration, written for a whole batch:
later batches move them forward, never back (a late event, a replay), whatever order they come in."""

from datetime import UTC, datetime

from sqlalchemy import select

from services.privacy import app as privacy_app
from services.privacy.settings import PrivacySettings
from services.privacy.store import PrivacyRepository
from services.privacy.tables import people
from shared.db import make_engine
from shared.migrations import ensure_schema

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


async def test_activity_moves_forward_across_batches(database_url: str) -> None:
    definition = privacy_app.definition(PrivacySettings())
    engine = make_engine(database_url)
    await ensure_schema(engine, definition.name, definition.metadata)
    batches: list[dict[str, tuple[float, float | None]]] = [
        {"cit-a": (100.0, 100.0), "cit-b": (100.0, None), "cit-c": (300.0, None)},
        {"cit-a": (200.0, None), "cit-b": (50.0, 50.0), "cit-c": (250.0, None), "cit-d": (10.0, None)},
        {"cit-a": (150.0, 180.0), "cit-b": (60.0, None)},
    ]
    try:
        for batch in batches:
            async with engine.begin() as conn:
                await PrivacyRepository(conn, NOW).save_activity(batch)
        async with engine.connect() as conn:
            rows = {r.citizen_id: (r.last_activity_at, r.registered_at) for r in await conn.execute(select(people))}
    finally:
        await engine.dispose()
    assert rows == {
        "cit-a": (200.0, 180.0),  # active later; registered again later
        "cit-b": (100.0, 50.0),  # the late registration is its first
        "cit-c": (300.0, None),  # an older event does not move it back
        "cit-d": (10.0, None),
    }
