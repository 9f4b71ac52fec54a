"""Schema migrations on SQLite and PostgreSQL: up from empty, upgrade with data, adoption, drift."""

import argparse
import shutil
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import (
    Boolean,
    Connection,
    Date,
    Float,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    insert,
    inspect,
    select,
    text,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from maillage import ops, registry
from shared import migrations
from shared.db import make_engine

MIGRATED = [name for name in registry.SERVICES if migrations.migrations_dir(name) is not None]
ROWS = 3


def metadata_of(service: str) -> MetaData:
    return registry.SERVICES[service][1](registry.SERVICES[service][0]()).metadata


@pytest.fixture
async def engine(database_url: str) -> Any:
    engine = make_engine(database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


@pytest.fixture
def fresh_history() -> Iterator[None]:
    migrations.script_directory.cache_clear()
    yield
    migrations.script_directory.cache_clear()


def test_every_service_of_the_hub_has_migrations() -> None:
    assert {"booking", "notifications", "reporting"} <= set(MIGRATED)
    for name in MIGRATED:
        assert migrations.revisions(name)[-1] == migrations.head(name)


@pytest.mark.parametrize("service", MIGRATED)
async def test_up_from_empty_reaches_head_and_matches_the_code(engine: AsyncEngine, service: str) -> None:
    result = await migrations.migrate(engine, service)
    assert (result.before, result.after) == (None, migrations.head(service))
    # The guard against a table changed in the code without its revision (`maillage migrate --new`).
    assert await migrations.schema_differences(engine, service, metadata_of(service)) == []
    started = time.perf_counter()
    again = await migrations.migrate(engine, service)
    assert not again.changed and time.perf_counter() - started < 0.5, "at head: one cheap query"


def fill(conn: Connection, service: str) -> dict[str, list[tuple[Any, ...]]]:
    """Rows in every table the database has at its current revision, whatever its columns."""
    reflected = MetaData()
    reflected.reflect(conn, only=lambda name, _meta: name.startswith(f"{service}_"))
    for table in reflected.sorted_tables:  # parents first: integer foreign keys point at ids 1..ROWS
        conn.execute(insert(table), [{c.name: sample(c.type, i) for c in table.columns} for i in range(1, ROWS + 1)])
    return read(conn, reflected)


def read(conn: Connection, metadata: MetaData) -> dict[str, list[tuple[Any, ...]]]:
    return {name: sorted(map(tuple, conn.execute(select(t)))) for name, t in metadata.tables.items()}


def sample(kind: Any, i: int) -> Any:
    for cls, value in ((Boolean, i % 2 == 0), (Integer, i), (Float, i + 0.5), (LargeBinary, bytes([i])),
                       (Date, date(2026, 1, i)), (Text, f"texte {i}")):
        if isinstance(kind, cls):
            return value
    if isinstance(kind, String):
        return f"v{i}"[: kind.length or 80]
    raise AssertionError(f"no sample for {kind!r}")


@pytest.mark.parametrize("service", MIGRATED)
async def test_upgrade_from_every_revision_to_head_keeps_the_data(database_url: str, service: str) -> None:
    for revision in migrations.revisions(service):
        engine = make_engine(database_url)
        try:
            await drop_service_tables(engine, service)
            await migrations.migrate(engine, service, target=revision)
            async with engine.begin() as conn:
                before = await conn.run_sync(fill, service)
                columns = await conn.run_sync(columns_of, service)
            await migrations.migrate(engine, service)
            async with engine.connect() as conn:
                after = await conn.run_sync(read_columns, before, columns)
            assert after == before, f"{service}: data changed upgrading from {revision}"
        finally:
            await engine.dispose()


def read_columns(conn: Connection, before: dict[str, list[tuple[Any, ...]]],
                 columns: dict[str, list[str]]) -> dict[str, list[tuple[Any, ...]]]:
    """The rows again, limited to the columns that existed before the upgrade (new ones may be added)."""
    now = MetaData()
    now.reflect(conn, only=list(before))
    return {name: sorted(map(tuple, conn.execute(select(*[now.tables[name].c[c] for c in columns[name]]))))
            for name in before}


def columns_of(conn: Connection, service: str) -> dict[str, list[str]]:
    reflected = MetaData()
    reflected.reflect(conn, only=lambda name, _meta: name.startswith(f"{service}_"))
    return {name: [c.name for c in table.columns] for name, table in reflected.tables.items()}


async def drop_service_tables(engine: AsyncEngine, service: str) -> None:
    def drop(conn: Connection) -> None:
        existing = MetaData()
        existing.reflect(conn, only=lambda name, _m: name.startswith(f"{service}_") or name.endswith(f"_{service}"))
        existing.drop_all(conn)

    async with engine.begin() as conn:
        await conn.run_sync(drop)


SECOND = '''"""Workshops get a language (test revision: a batch ALTER with a data move)."""

import sqlalchemy as sa
from alembic import op

revision = "booking_9999"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("booking_workshops") as batch:
        batch.add_column(sa.Column("language", sa.String(2), nullable=False, server_default="fr"))
        batch.alter_column("title", type_=sa.String(200))
    op.execute("UPDATE booking_workshops SET language = 'oc' WHERE title LIKE 'Occitan%'")


def downgrade() -> None:
    with op.batch_alter_table("booking_workshops") as batch:
        batch.drop_column("language")
'''


async def test_a_table_rebuilding_revision_keeps_rows_on_both_databases(
    engine: AsyncEngine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fresh_history: None
) -> None:
    # SQLite cannot ALTER a column: Alembic copies the table. The copy must keep every row.
    shutil.copytree(migrations.SERVICES_DIR / "booking" / "migrations", tmp_path / "booking" / "migrations")
    (tmp_path / "booking" / "migrations" / "versions" / "booking_9999.py").write_text(
        SECOND.format(head=migrations.head("booking"))
    )
    await migrations.migrate(engine, "booking")
    async with engine.begin() as conn:
        before = await conn.run_sync(fill, "booking")
        columns = await conn.run_sync(columns_of, "booking")
        await conn.execute(text("UPDATE booking_workshops SET title = 'Occitan pour débuter' WHERE workshop_id = 'v1'"))
    monkeypatch.setattr(migrations, "SERVICES_DIR", tmp_path)
    migrations.script_directory.cache_clear()
    result = await migrations.migrate(engine, "booking")
    assert result.after == "booking_9999"
    async with engine.connect() as conn:
        after = await conn.run_sync(read_columns, before, columns)
        languages = dict((await conn.execute(text("SELECT workshop_id, language FROM booking_workshops"))).all())
    assert {k: v for k, v in after.items() if k != "booking_workshops"} == {
        k: v for k, v in before.items() if k != "booking_workshops"
    }
    assert len(after["booking_workshops"]) == ROWS
    assert languages == {"v1": "oc", "v2": "fr", "v3": "fr"}


async def test_a_database_made_by_create_all_is_adopted_at_head(engine: AsyncEngine) -> None:
    metadata = metadata_of("booking")
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    result = await migrations.migrate(engine, "booking", metadata)
    assert (result.before, result.after) == (None, migrations.head("booking"))


async def test_a_database_that_differs_from_the_code_is_not_adopted(engine: AsyncEngine) -> None:
    odd = MetaData()
    Table("booking_bookings", odd, *[c._copy() for c in metadata_of("booking").tables["booking_bookings"].c
                                     if c.name != "gender"])
    async with engine.begin() as conn:
        await conn.run_sync(odd.create_all)
    with pytest.raises(migrations.MigrationError, match="différente du code"):
        await migrations.migrate(engine, "booking", metadata_of("booking"))
    assert await migrations.current(engine, "booking") is None


async def test_services_sharing_one_database_keep_their_own_version_table(engine: AsyncEngine) -> None:
    for name in MIGRATED:
        await migrations.migrate(engine, name)
    async with engine.connect() as conn:
        names = set(await conn.run_sync(lambda c: inspect(c).get_table_names()))
    assert {migrations.version_table(n) for n in MIGRATED} <= names
    for name in MIGRATED:
        assert await migrations.current(engine, name) == migrations.head(name)
        assert await migrations.schema_differences(engine, name, metadata_of(name)) == []


async def test_without_migrate_on_start_a_service_refuses_an_old_schema(
    engine: AsyncEngine, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MAILLAGE_MIGRATE_ON_START", "false")
    with pytest.raises(migrations.MigrationError, match="maillage migrate"):
        await migrations.ensure_schema(engine, "booking", metadata_of("booking"))
    await migrations.migrate(engine, "booking")
    await migrations.ensure_schema(engine, "booking", metadata_of("booking"))


async def test_the_migrate_command(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MAILLAGE_DATABASE_URL", database_url)
    monkeypatch.setenv("MAILLAGE_DATA_DIR", str(tmp_path))

    async def run(*argv: str) -> int:
        parser = argparse.ArgumentParser()
        ops.register(parser.add_subparsers(dest="command"))
        return await ops.run(parser.parse_args(list(argv)))

    assert await run("migrate", "--check") == 1
    assert await run("migrate") == 0
    assert "booking: vide → " in capsys.readouterr().out
    assert await run("migrate", "--check") == 0
    assert await run("migrate") == 0
    assert "booking: à jour" in capsys.readouterr().out


async def test_new_revisions_are_drafted_from_the_code(engine: AsyncEngine, tmp_path: Path,
                                                       fresh_history: None) -> None:
    metadata = metadata_of("booking")
    written = migrations.write_revision("booking", metadata, "Initial schema", directory=tmp_path)
    assert written is not None and written.name == "booking_0001.py"
    assert migrations.write_revision("booking", metadata, "nothing", directory=tmp_path) is None
    script = migrations.ScriptDirectory(str(tmp_path))
    async with engine.begin() as conn:
        await conn.run_sync(migrations._upgrade_with, "booking", "booking_0001", script, tmp_path)
    assert await migrations.schema_differences(engine, "booking", metadata) == []
