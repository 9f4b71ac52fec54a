"""What staff (through the CLI or a console) do with personal data; each action is access-logged.

Erasure and consent changes are written to this node's privacy outbox in the same transaction as
the access-log line, and the running node's relay publishes them (within a second or so): the
decision is durable even if NATS is briefly unreachable, and the envelope is stamped like any event.
"""

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.privacy import export, tables
from services.privacy.settings import PrivacySettings
from services.privacy.store import PrivacyUnitOfWork, record_access
from shared import network
from shared.contract import privacy as pv
from shared.contract.directory import ContactChannel
from shared.db import make_engine
from shared.hlc import HybridClock
from shared.migrations import ensure_schema


def utc_now() -> datetime:
    return datetime.now(UTC)


class NotAllowedHere(Exception):
    """An action this node may not take (a French sentence for the user)."""


async def privacy_engine(settings: PrivacySettings) -> AsyncEngine:
    engine = make_engine(settings.database_url_for("privacy"))
    await ensure_schema(engine, "privacy", tables.metadata)
    return engine


def _uow(engine: AsyncEngine, settings: PrivacySettings, now: datetime) -> PrivacyUnitOfWork:
    return PrivacyUnitOfWork(engine, tables.messaging, settings.site, HybridClock(), lambda: now)


async def erase(settings: PrivacySettings, citizen_id: str, staff_id: str, now: datetime | None = None) -> str:
    """Decide the erasure of a person everywhere (hub only). Returns the erasure's event id."""
    if settings.site != network.HUB:
        raise NotAllowedHere("l'effacement se décide au pôle numérique (maillage privacy erase sur le pôle)")
    now = now or utc_now()
    event = pv.CitizenErased(citizen_id=citizen_id, reason="request", staff_id=staff_id)
    engine = await privacy_engine(settings)
    try:
        async with _uow(engine, settings, now) as uow:
            uow.emit(event)
            await record_access(uow.conn, settings.site, staff_id, "erased", citizen_id, now)
            await uow.commit()
    finally:
        await engine.dispose()
    return event.event_id


async def change_consent(
    settings: PrivacySettings, citizen_id: str, purpose: pv.Purpose, channel: ContactChannel | None,
    granted: bool, staff_id: str, now: datetime | None = None,
) -> None:
    now = now or utc_now()
    event = pv.PurposeConsentChanged(citizen_id=citizen_id, purpose=purpose, channel=channel, granted=granted,
                                     changed_at=now, staff_id=staff_id)
    engine = await privacy_engine(settings)
    try:
        async with _uow(engine, settings, now) as uow:
            uow.emit(event)
            detail = f"{purpose}/{channel or 'tous canaux'}: {'accordé' if granted else 'retiré'}"
            await record_access(uow.conn, settings.site, staff_id, "consent", citizen_id, now, detail)
            await uow.commit()
    finally:
        await engine.dispose()


async def export_person(
    settings: PrivacySettings, citizen_id: str, staff_id: str, folder: Path, now: datetime | None = None
) -> tuple[export.Bundle, Path, Path]:
    now = now or utc_now()
    engine = await privacy_engine(settings)
    try:
        async with engine.begin() as conn:  # logged first: an export that fails half-way was still an access
            await record_access(conn, settings.site, staff_id, "exported", citizen_id, now, str(folder))
    finally:
        await engine.dispose()
    bundle = await export.assemble(settings, citizen_id, now)
    json_path, html_path = export.write(bundle, folder)
    return bundle, json_path, html_path


async def view_person(settings: PrivacySettings, citizen_id: str, staff_id: str) -> export.Bundle:
    """What this node holds about the person, for staff to read on screen (access-logged)."""
    await log_view(settings, staff_id, citizen_id, "maillage privacy show")
    return await export.assemble(settings, citizen_id, utc_now())


async def log_view(settings: PrivacySettings, staff_id: str, citizen_id: str | None, detail: str | None = None) -> None:
    """For screens that show personal data (the console): one access-log line per view."""
    engine = await privacy_engine(settings)
    try:
        async with engine.begin() as conn:
            await record_access(conn, settings.site, staff_id, "viewed", citizen_id, utc_now(), detail)
    finally:
        await engine.dispose()


@dataclass(frozen=True)
class ErasureStatus:
    citizen_id: str
    erased_at: datetime | None
    applied: dict[str, datetime]  # node → when it applied the erasure
    waiting: list[str]  # nodes that have not reported yet


async def erasure_status(settings: PrivacySettings, citizen_id: str) -> ErasureStatus:
    engine = await privacy_engine(settings)
    try:
        async with engine.connect() as conn:
            erased_at = await conn.scalar(
                select(tables.erasures.c.erased_at).where(tables.erasures.c.citizen_id == citizen_id))
            rows = await conn.execute(select(tables.applied.c.node, tables.applied.c.applied_at).where(
                tables.applied.c.citizen_id == citizen_id))
            applied = {node: tables.dt(at) for node, at in rows}
    finally:
        await engine.dispose()
    nodes = [network.HUB, *sorted(settings.sites)] if settings.site == network.HUB else [settings.site]
    return ErasureStatus(citizen_id, tables.dt(erased_at) if erased_at is not None else None, applied,
                         [n for n in nodes if n not in applied])


async def access_log(settings: PrivacySettings, citizen_id: str | None = None, limit: int = 100) -> list[str]:
    log = tables.access_log
    query = select(log).order_by(log.c.at.desc(), log.c.id.desc()).limit(limit)
    if citizen_id is not None:
        query = query.where(log.c.citizen_id == citizen_id)
    engine = await privacy_engine(settings)
    try:
        async with engine.connect() as conn:
            rows = (await conn.execute(query)).all()
    finally:
        await engine.dispose()
    return [
        f"{tables.dt(r.at):%Y-%m-%d %H:%M:%S} UTC  {r.node:<10} {r.staff_id:<16} {r.action:<9} "
        f"{r.citizen_id or '-'}{'  ' + r.detail if r.detail else ''}"
        for r in rows
    ]
