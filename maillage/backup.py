"""Backing up and restoring a node: its databases and its JetStream streams, consistent with each other.

Order matters. A service acks a message only after committing its effects, so a durable consumer's
ack floor read *before* the database copy is never ahead of that copy: on restore the consumers
start again just after it, and the few messages the copy already processed come back and are
absorbed by the inbox. The streams are snapshotted *after* the databases, so every event the
copy's outbox marked sent is in them. Streams use the server's own snapshot API (sequences,
message ids and headers kept); consumers are recreated from the recorded positions.

SQLite files are copied with SQLite's online backup API while the node runs; PostgreSQL
databases listed in ``MAILLAGE_BACKUP_DATABASE_URLS`` (and ``MAILLAGE_DATABASE_URL``) with pg_dump.
"""

import asyncio
import hashlib
import json
import shutil
import sqlite3
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from nats.aio.client import Client as NATS
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.settings import NodeSettings

FORMAT = 1
MANIFEST = "manifest.json"
CHUNK = 128 * 1024
API_TIMEOUT = 30.0


class BackupError(RuntimeError):
    """A one-line French message for the operator."""


class BackupSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="MAILLAGE_", env_file=".env", extra="ignore")
    backup_database_urls: list[str] = Field(default_factory=list, description="PostgreSQL databases to pg_dump")


@dataclass
class Summary:
    databases: list[str] = field(default_factory=list)
    streams: dict[str, int] = field(default_factory=dict)  # name -> messages
    consumers: list[str] = field(default_factory=list)

    def lines(self) -> list[str]:
        out = [f"  base {name}" for name in self.databases]
        out += [f"  flux {name} : {count} messages" for name, count in self.streams.items()]
        out += [f"  consommateur {name}" for name in self.consumers]
        return out


async def api(nc: NATS, subject: str, payload: dict[str, Any] | None = None, timeout: float = API_TIMEOUT) -> Any:
    reply = await nc.request(f"$JS.API.{subject}", json.dumps(payload or {}).encode(), timeout=timeout)
    answer = json.loads(reply.data)
    if "error" in answer:
        raise BackupError(f"JetStream {subject} : {answer['error'].get('description', answer['error'])}")
    return answer


async def stream_names(nc: NATS) -> list[str]:
    names: list[str] = []
    while True:
        page = await api(nc, "STREAM.NAMES", {"offset": len(names)})
        names += page.get("streams") or []
        if not page.get("streams") or len(names) >= page.get("total", 0):
            return sorted(names)


async def consumer_positions(nc: NATS, stream: str) -> list[dict[str, Any]]:
    """Durable pull consumers and their ack floor (push and ephemeral ones belong to live clients)."""
    found: list[dict[str, Any]] = []
    offset = 0
    while True:
        page = await api(nc, f"CONSUMER.LIST.{stream}", {"offset": offset})
        consumers = page.get("consumers") or []
        offset += len(consumers)
        for info in consumers:
            config = info["config"]
            if config.get("durable_name") and not config.get("deliver_subject"):
                found.append({"stream": stream, "config": config, "ack_floor": info["ack_floor"]["stream_seq"]})
        if not consumers or offset >= page.get("total", 0):
            return found


# -- backup ---------------------------------------------------------------------------------------


async def backup(settings: NodeSettings, nc: NATS, out: Path) -> Summary:
    await asyncio.to_thread(_prepare, out)
    summary = Summary()
    names = await stream_names(nc)
    positions = [p for name in names for p in await consumer_positions(nc, name)]
    files = [*await asyncio.to_thread(_copy_sqlite, Path(settings.data_dir), out / "databases")]
    files += [await _pg_dump(url, out / "databases") for url in postgres_urls(settings)]
    summary.databases = [Path(f).name for f in files]
    streams = []
    for name in names:
        meta = await _snapshot(nc, name, out / "streams" / f"{name}.snapshot")
        (out / "streams" / f"{name}.json").write_text(json.dumps(meta, indent=1))
        summary.streams[name] = int(meta["state"].get("messages", 0))
        streams.append(name)
    summary.consumers = [f"{p['stream']}/{p['config']['durable_name']}" for p in positions]
    manifest = {
        "format": FORMAT, "site": settings.site, "role": settings.role, "created_at": datetime.now(UTC).isoformat(),
        "databases": summary.databases, "streams": streams, "consumers": positions,
        "checksums": await asyncio.to_thread(_checksums, out),
    }
    # Written last: a backup without its manifest is incomplete and restore refuses it.
    (out / MANIFEST).write_text(json.dumps(manifest, indent=1, ensure_ascii=False))
    return summary


def _prepare(out: Path) -> None:
    if out.exists() and any(out.iterdir()):
        raise BackupError(f"le dossier {out} n'est pas vide")
    (out / "databases").mkdir(parents=True, exist_ok=True)
    (out / "streams").mkdir(exist_ok=True)


def _checksums(out: Path) -> dict[str, str]:
    return {str(p.relative_to(out)): _sha256(p) for p in sorted(out.rglob("*")) if p.is_file()}


def postgres_urls(settings: NodeSettings) -> list[str]:
    urls = [settings.database_url] if settings.database_url else []
    urls += BackupSettings().backup_database_urls
    return list(dict.fromkeys(u for u in urls if u and u.startswith("postgresql")))


def _copy_sqlite(data_dir: Path, target: Path) -> list[str]:
    copied = []
    for source in sorted(data_dir.glob("*.sqlite3")):
        dest = target / source.name
        # The online backup API: a consistent copy while services keep writing (WAL included).
        with sqlite3.connect(source) as src, sqlite3.connect(dest) as dst:
            src.backup(dst)
        src.close()
        dst.close()
        copied.append(source.name)
    return copied


def libpq_url(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://", 1)


def database_name(url: str) -> str:
    return libpq_url(url).rsplit("/", 1)[-1].split("?", 1)[0]


async def _pg_dump(url: str, target: Path) -> str:
    dest = target / f"{database_name(url)}.pgdump"
    await _run_tool("pg_dump", "--format=custom", "--no-owner", f"--file={dest}", f"--dbname={libpq_url(url)}")
    return dest.name


async def _run_tool(*command: str) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{command[0]} introuvable (paquet postgresql-client)")
    proc = await asyncio.create_subprocess_exec(
        *command, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, stdin=asyncio.subprocess.DEVNULL
    )
    _, err = await proc.communicate()
    if proc.returncode != 0:
        raise BackupError(f"{command[0]} a échoué : {err.decode(errors='replace').strip()[:500]}")


async def _snapshot(nc: NATS, stream: str, dest: Path) -> dict[str, Any]:
    inbox = nc.new_inbox()
    sub = await nc.subscribe(inbox)
    try:
        request = {"deliver_subject": inbox, "no_consumers": True, "chunk_size": CHUNK, "jsck": True}
        answer = await api(nc, f"STREAM.SNAPSHOT.{stream}", request)
        with dest.open("wb") as file:
            while True:
                chunk = await sub.next_msg(timeout=API_TIMEOUT)
                if not chunk.data:
                    status = (chunk.headers or {}).get("Nats-Status")
                    if status and status != "200" and (chunk.headers or {}).get("Description") != "End of Stream":
                        raise BackupError(f"instantané de {stream} interrompu : {chunk.headers}")
                    break
                file.write(chunk.data)
                if chunk.reply:
                    await nc.publish(chunk.reply, b"")  # the server sends more only once we ack
    finally:
        await sub.unsubscribe()
    return {"config": answer["config"], "state": answer["state"]}


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


# -- restore --------------------------------------------------------------------------------------


def read_manifest(source: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((source / MANIFEST).read_text())
    except FileNotFoundError:
        raise BackupError(f"{source} : pas de {MANIFEST} (sauvegarde absente ou incomplète)") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"format de sauvegarde {manifest.get('format')} inconnu (attendu {FORMAT})")
    for name, expected in manifest["checksums"].items():
        path = source / name
        if not path.is_file() or _sha256(path) != expected:
            raise BackupError(f"sauvegarde altérée : {name}")
    return manifest


async def restore(settings: NodeSettings, nc: NATS, source: Path, force: bool = False) -> Summary:
    """Databases first, then streams, then consumers at their recorded positions. The node's
    services must be stopped (its nats-server running)."""
    manifest = read_manifest(source)
    summary = Summary()
    existing = set(await stream_names(nc))
    clash = [s for s in manifest["streams"] if s in existing]
    if clash and not force:
        raise BackupError(f"flux déjà présents : {', '.join(clash)} (--force pour les remplacer)")
    summary.databases = await _restore_databases(settings, source / "databases", manifest["databases"], force)
    for name in manifest["streams"]:
        if name in existing:
            await api(nc, f"STREAM.DELETE.{name}")
        summary.streams[name] = await _restore_stream(nc, source / "streams", name)
    for position in manifest["consumers"]:
        summary.consumers.append(await _restore_consumer(nc, position))
    return summary


async def _restore_databases(settings: NodeSettings, folder: Path, names: list[str], force: bool) -> list[str]:
    data_dir = Path(settings.data_dir)
    await asyncio.to_thread(data_dir.mkdir, parents=True, exist_ok=True)
    pg = {database_name(url): url for url in postgres_urls(settings)}
    for name in names:
        if name.endswith(".pgdump"):
            url = pg.get(name.removesuffix(".pgdump"))
            if url is None:
                raise BackupError(f"{name} : aucune base PostgreSQL de ce nom configurée (MAILLAGE_DATABASE_URL)")
            await _run_tool("pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction",
                            f"--dbname={libpq_url(url)}", str(folder / name))
            continue
        target = data_dir / name
        if target.exists() and not force:
            raise BackupError(f"{target} existe déjà (--force pour le remplacer)")
        await asyncio.to_thread(_put_sqlite, folder / name, target)
    return names


def _put_sqlite(source: Path, target: Path) -> None:
    if target.exists():
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
        target.rename(target.with_name(f"{target.name}.avant-restauration-{stamp}"))
    for suffix in ("-wal", "-shm"):  # a stale WAL would be replayed over the restored file
        target.with_name(target.name + suffix).unlink(missing_ok=True)
    shutil.copyfile(source, target)


async def _restore_stream(nc: NATS, folder: Path, name: str) -> int:
    meta = json.loads((folder / f"{name}.json").read_text())
    answer = await api(nc, f"STREAM.RESTORE.{name}", {"config": meta["config"], "state": meta["state"]})
    deliver = answer["deliver_subject"]
    with (folder / f"{name}.snapshot").open("rb") as file:
        for chunk in iter(lambda: file.read(CHUNK), b""):
            await nc.request(deliver, chunk, timeout=API_TIMEOUT)
    done = json.loads((await nc.request(deliver, b"", timeout=120)).data)
    if "error" in done:
        raise BackupError(f"restauration du flux {name} : {done['error'].get('description')}")
    return int(done.get("state", meta["state"]).get("messages", 0))


async def _restore_consumer(nc: NATS, position: dict[str, Any]) -> str:
    config = dict(position["config"])
    for volatile in ("opt_start_time", "opt_start_seq"):
        config.pop(volatile, None)
    if position["ack_floor"] > 0:
        config.update(deliver_policy="by_start_sequence", opt_start_seq=position["ack_floor"] + 1)
    stream, durable = position["stream"], config["durable_name"]
    await api(nc, f"CONSUMER.CREATE.{stream}.{durable}", {"stream_name": stream, "config": config})
    return f"{stream}/{durable}"
