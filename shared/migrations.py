"""Versioned schema migrations (Alembic, run from code): one history and one version table per service.

Each service keeps its revisions in ``services/<name>/migrations/versions/`` and its version in
``alembic_version_<name>``, so services can share one database (``maillage up`` at the hub) or
have their own (compose) without stepping on each other. The same revisions run on SQLite (sites)
and PostgreSQL (hub) through the async engines of ``shared.db``.

``migrate()`` is idempotent and cheap at head (one query), so every service start calls it.
A database created by ``metadata.create_all`` before migrations existed is *adopted*: if its
tables match the head schema it is stamped at head, otherwise migration stops with the differences.
"""

import logging
import textwrap
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import Connection, MetaData, inspect, text
from sqlalchemy.ext.asyncio import AsyncEngine

log = logging.getLogger(__name__)
# Every service start checks its version: Alembic's INFO lines would say so twice per service.
logging.getLogger("alembic.runtime.migration").setLevel(logging.WARNING)

SERVICES_DIR = Path(__file__).resolve().parent.parent / "services"


class MigrationSettings(BaseSettings):
    """``MAILLAGE_MIGRATE_ON_START=false``: services only check the version at start-up and refuse
    to run on an old schema; ``maillage migrate`` (a deploy step) applies the revisions."""

    model_config = SettingsConfigDict(env_prefix="MAILLAGE_", env_file=".env", extra="ignore")
    migrate_on_start: bool = True


class MigrationError(RuntimeError):
    """The database cannot be brought to the code's schema without a person deciding."""


@dataclass(frozen=True)
class MigrationResult:
    service: str
    before: str | None
    after: str | None

    @property
    def changed(self) -> bool:
        return self.before != self.after

    def line(self) -> str:
        if not self.changed:
            return f"{self.service}: à jour ({self.after})"
        return f"{self.service}: {self.before or 'vide'} → {self.after}"


def migrations_dir(service: str) -> Path | None:
    path = SERVICES_DIR / service / "migrations"
    return path if (path / "versions").is_dir() else None


def version_table(service: str) -> str:
    return f"alembic_version_{service}"


@cache
def script_directory(service: str) -> ScriptDirectory:
    path = migrations_dir(service)
    if path is None:
        raise MigrationError(f"{service}: aucun dossier de migrations (services/{service}/migrations/versions)")
    return ScriptDirectory(str(path))


def head(service: str) -> str:
    found = script_directory(service).get_heads()
    if len(found) != 1:
        raise MigrationError(f"{service}: {len(found)} têtes de migration ({', '.join(found)}), une seule attendue")
    return found[0]


def revisions(service: str) -> list[str]:
    """From the first revision to head."""
    return [r.revision for r in reversed(list(script_directory(service).walk_revisions()))]


def owns_table(service: str) -> Callable[..., bool]:
    """Alembic name filter: only this service's tables (every table name starts with ``<service>_``)."""

    def include_name(name: str | None, type_: str, _parent: Any) -> bool:
        if type_ != "table":
            return True
        return name is not None and name.startswith(f"{service}_")

    return include_name


async def current(engine: AsyncEngine, service: str) -> str | None:
    async with engine.connect() as conn:
        return await conn.run_sync(_current, service)


def _current(conn: Connection, service: str) -> str | None:
    ctx = MigrationContext.configure(conn, opts={"version_table": version_table(service)})
    return ctx.get_current_revision()


async def migrate(
    engine: AsyncEngine, service: str, metadata: MetaData | None = None, target: str = "head"
) -> MigrationResult:
    """Bring ``service``'s tables to ``target`` in one transaction. ``metadata`` enables adoption."""
    async with engine.connect() as conn:
        before = await conn.run_sync(_current, service)
    goal = head(service) if target == "head" else target
    if before == goal:
        return MigrationResult(service, before, before)
    async with engine.begin() as conn:
        after = await conn.run_sync(_upgrade, service, goal, metadata)
    log.info("migrations %s: %s -> %s", service, before, after)
    return MigrationResult(service, before, after)


def _upgrade(conn: Connection, service: str, goal: str, metadata: MetaData | None) -> str | None:
    if conn.dialect.name == "postgresql":
        # Two instances starting together must not both create the tables.
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": zlib.crc32(service.encode())})
    if _current(conn, service) is None and metadata is not None and _has_tables(conn, service):
        _adopt(conn, service, metadata)
    _upgrade_with(conn, service, goal, script_directory(service), migrations_dir(service))  # type: ignore[arg-type]
    return _current(conn, service)


def _has_tables(conn: Connection, service: str) -> bool:
    return any(name.startswith(f"{service}_") for name in inspect(conn).get_table_names())


def _adopt(conn: Connection, service: str, metadata: MetaData) -> None:
    """A database made by ``create_all`` before migrations: stamp it at head if it matches the code."""
    metadata.create_all(conn, checkfirst=True)
    problems = differences(conn, service, metadata)
    if problems:
        raise MigrationError(
            f"{service}: base existante sans version de schéma, et différente du code : " + "; ".join(problems[:10])
        )
    ctx = MigrationContext.configure(conn, opts={"version_table": version_table(service)})
    ctx.stamp(script_directory(service), head(service))
    log.warning("migrations %s: existing tables adopted at %s", service, head(service))


def differences(conn: Connection, service: str, metadata: MetaData) -> list[str]:
    """What the database lacks or has in excess compared with ``metadata`` (empty: they match)."""
    ctx = MigrationContext.configure(
        conn, opts={"include_name": owns_table(service), "compare_type": True, "render_as_batch": True}
    )
    return [_describe(diff) for diff in _flatten(compare_metadata(ctx, metadata))]


def _flatten(diffs: Iterable[Any]) -> Iterable[Any]:
    for diff in diffs:
        if isinstance(diff, list):  # column modifications come grouped per column
            yield from diff
        else:
            yield diff


def _describe(diff: Any) -> str:
    kind, *rest = diff
    names = [getattr(x, "name", None) or str(x) for x in rest if x is not None][:3]
    return f"{kind} {' '.join(map(str, names))}"


async def schema_differences(engine: AsyncEngine, service: str, metadata: MetaData) -> list[str]:
    async with engine.connect() as conn:
        return await conn.run_sync(differences, service, metadata)


async def ensure_schema(engine: AsyncEngine, service: str, metadata: MetaData) -> None:
    """At service start: migrate (or check, if ``MAILLAGE_MIGRATE_ON_START=false``)."""
    if migrations_dir(service) is None:
        # A service without revisions yet (still being written): its tables as the code says.
        async with engine.begin() as conn:
            await conn.run_sync(metadata.create_all)
        return
    if MigrationSettings().migrate_on_start:
        await migrate(engine, service, metadata)
        return
    found, wanted = await current(engine, service), head(service)
    if found != wanted:
        raise MigrationError(
            f"{service}: schéma en version {found or 'vide'}, le code attend {wanted} : lancez `maillage migrate`"
        )


_TEMPLATE = '''"""{message}

Revision ID: {revision}
Revises: {down}
"""

import sqlalchemy as sa
from alembic import op

revision = "{revision}"
down_revision = {down_repr}
branch_labels = None
depends_on = None


def upgrade() -> None:
{upgrade}


def downgrade() -> None:
{downgrade}
'''


def write_revision(service: str, metadata: MetaData, message: str, directory: Path | None = None) -> Path | None:
    """Autogenerate the next revision from the difference between head and ``metadata`` (a draft to
    read and complete: data moves are not guessed). None when there is nothing to do."""
    from alembic.autogenerate import produce_migrations, render_python_code
    from sqlalchemy import create_engine

    path = directory or migrations_dir(service) or SERVICES_DIR / service / "migrations"
    (path / "versions").mkdir(parents=True, exist_ok=True)
    existing = ScriptDirectory(str(path))
    heads = existing.get_heads()
    down = heads[0] if heads else None
    engine = create_engine("sqlite://")
    with engine.begin() as conn:
        if down is not None:
            _upgrade_with(conn, service, down, existing, path)
        ctx = MigrationContext.configure(conn, opts={"include_name": owns_table(service), "render_as_batch": True})
        script = produce_migrations(ctx, metadata)
    engine.dispose()
    if script.upgrade_ops is None or script.upgrade_ops.is_empty():
        return None
    number = len(list(existing.walk_revisions())) + 1
    revision = f"{service}_{number:04d}"

    def render(ops: Any) -> str:
        return _code(render_python_code(ops, render_as_batch=True, alembic_module_prefix="op.",
                                        sqlalchemy_module_prefix="sa."))

    body = _TEMPLATE.format(
        message=message, revision=revision, down=down or "<base>", down_repr=repr(down),
        upgrade=render(script.upgrade_ops), downgrade=render(script.downgrade_ops),
    )
    out = path / "versions" / f"{revision}.py"
    out.write_text(body)
    script_directory.cache_clear()
    return out


def _code(rendered: str) -> str:
    lines = [line for line in rendered.splitlines() if not line.strip().startswith("# ###")]
    return textwrap.indent(textwrap.dedent("\n".join(lines)).strip(), "    ")


def _upgrade_with(conn: Connection, service: str, goal: str, script: ScriptDirectory, path: Path) -> None:
    def upgrade(rev: Any, _context: Any) -> Any:
        return script._upgrade_revs(goal, rev)

    config = Config()
    config.set_main_option("script_location", str(path))
    with EnvironmentContext(config, script, fn=upgrade, destination_rev=goal) as env:
        # render_as_batch: on SQLite, ALTER is done by copying the table (Alembic batch mode).
        env.configure(connection=conn, version_table=version_table(service), render_as_batch=True,
                      include_name=owns_table(service))
        with env.begin_transaction():
            env.run_migrations()
