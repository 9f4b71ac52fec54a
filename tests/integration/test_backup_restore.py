"""`maillage backup` of a live node, a wiped box, `maillage restore`: every record and message is back,
and the service resumes where the backup left it (nothing lost, nothing decided twice)."""

import argparse
import json
import shutil
from pathlib import Path
from typing import Any

import asyncpg
import nats
import pytest
from sqlalchemy import MetaData, select

from maillage import backup as backups
from maillage import ops
from services.booking import tables
from shared.contract import booking as bk
from shared.db import make_engine
from shared.natsserver import EmbeddedNatsServer
from shared.topology import DLQ_STREAM
from tests.support.booking import booking_service, citizen
from tests.support.nats import start_nats


async def run_ops(*argv: str) -> int:
    parser = argparse.ArgumentParser()
    ops.register(parser.add_subparsers(dest="command"))
    return await ops.run(parser.parse_args(list(argv)))


async def table_rows(database_url: str, metadata: MetaData) -> dict[str, list[tuple[Any, ...]]]:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            return {
                name: sorted((tuple(r) for r in await conn.execute(select(table))), key=repr)
                for name, table in metadata.tables.items()
            }
    finally:
        await engine.dispose()


async def stream_messages(url: str, stream: str) -> list[tuple[int, str, bytes, str | None]]:
    """(sequence, subject, body, Nats-Msg-Id) of every message, read directly by sequence."""
    nc = await nats.connect(url)
    try:
        js = nc.jetstream()
        state = (await js.stream_info(stream)).state
        out = []
        for seq in range(state.first_seq, state.last_seq + 1):
            msg = await js.get_msg(stream, seq)
            out.append((seq, msg.subject, msg.data, (msg.headers or {}).get("Nats-Msg-Id")))
        return out
    finally:
        await nc.close()


async def wipe_database(database_url: str, data_dir: Path) -> None:
    if database_url.startswith("sqlite"):
        shutil.rmtree(data_dir)
        return
    conn = await asyncpg.connect(backups.libpq_url(database_url))
    try:
        await conn.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    finally:
        await conn.close()


async def test_backup_wipe_restore_finds_every_record_and_message_then_resumes(
    nats_server: EmbeddedNatsServer, database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data_dir = tmp_path / "data"
    on_sqlite = database_url.startswith("sqlite")
    # At a site the node's SQLite files live in the data dir; at the hub the database is PostgreSQL.
    db_url = f"sqlite+aiosqlite:///{data_dir / 'hub-booking.sqlite3'}" if on_sqlite else database_url
    node_db = None if on_sqlite else database_url
    async with booking_service(nats_server.url, node_db, data_dir=data_dir) as h:  # type: ignore[arg-type]
        await h.send(h.workshop("w-1", capacity=2))
        await h.wait_for("booking.workshop_scheduled", count=1)
        for n in range(4):
            await h.send(bk.BookingRequested(request_id=f"req-{n}", workshop_id="w-1", citizen=citizen(n)))
        await h.wait_for("booking.confirmed", count=2)
        await h.wait_for("booking.waitlisted", count=2)
        await h.js.publish("dlq.hub.booking", b'{"reason": "exemple"}')

        rows = await table_rows(db_url, tables.metadata)
        messages = {s: await stream_messages(nats_server.url, s) for s in ("TL_HUB", DLQ_STREAM)}
        monkeypatch.setenv("MAILLAGE_NATS_URL", nats_server.url)
        monkeypatch.setenv("MAILLAGE_DATA_DIR", str(data_dir))
        monkeypatch.setenv("MAILLAGE_METRICS_PORT", "0")
        if not on_sqlite:
            monkeypatch.setenv("MAILLAGE_DATABASE_URL", database_url)
        assert await run_ops("backup", "--out", str(tmp_path / "backup")) == 0  # while the node runs
    manifest = json.loads((tmp_path / "backup" / "manifest.json").read_text())
    assert manifest["databases"] == (["hub-booking.sqlite3"] if on_sqlite else [db_url.rsplit("/", 1)[1] + ".pgdump"])
    assert {c["config"]["durable_name"] for c in manifest["consumers"]} == {"booking"}

    # The box dies: a new nats-server with an empty store, no database left.
    await nats_server.stop()
    await wipe_database(db_url, data_dir)
    fresh = await start_nats(tmp_path / "new-box")
    try:
        monkeypatch.setenv("MAILLAGE_NATS_URL", fresh.url)
        assert await run_ops("restore", str(tmp_path / "backup")) == 0
        assert await table_rows(db_url, tables.metadata) == rows
        for stream, before in messages.items():
            assert await stream_messages(fresh.url, stream) == before, stream
        # A second restore over it is refused without --force, accepted with it.
        assert await run_ops("restore", str(tmp_path / "backup")) == 1
        assert await run_ops("restore", str(tmp_path / "backup"), "--force") == 0
        assert await table_rows(db_url, tables.metadata) == rows

        async with booking_service(fresh.url, node_db, data_dir=data_dir) as h:  # type: ignore[arg-type]
            await h.send(bk.BookingRequested(request_id="req-after", workshop_id="w-1", citizen=citizen(9)))
            after = await h.wait_for("booking.waitlisted", count=1, where=lambda e: e["request_id"] == "req-after")
            assert after[0]["position"] == 3
            outcomes = await h.events("booking.confirmed", "booking.waitlisted")
            # The outbox may republish what it had not marked sent at backup time: same event ids.
            decisions = {(o["request_id"], o["event_id"]) for o in outcomes}
            assert len(decisions) == 5, "nothing decided twice after the restore"
    finally:
        await fresh.stop()


async def test_restore_refuses_an_incomplete_or_altered_backup(tmp_path: Path) -> None:
    with pytest.raises(backups.BackupError, match="incomplète"):
        backups.read_manifest(tmp_path)
    (tmp_path / "databases").mkdir()
    (tmp_path / "databases" / "x.sqlite3").write_bytes(b"changed")
    manifest = {"format": 1, "checksums": {"databases/x.sqlite3": "0" * 64}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(backups.BackupError, match="altérée"):
        backups.read_manifest(tmp_path)
