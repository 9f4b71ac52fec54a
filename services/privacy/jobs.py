"""Privacy's periodic jobs: the scrub (stream copies of erased people) and retention (hub only).

Retention is decided at the hub because only the hub sees every node's activity (``TL_NETWORK``):
a site would take someone active at another site for inactive. It emits the same
``privacy.citizen_erased`` as a request would (reason ``retention``), so it reaches every site and
follows the one erasure path. What a site did while cut off counts once it reaches the hub: a site
offline for longer than the period could still see someone it knew anonymised (the stream limit
forces the period to exceed the stream's age anyway, so that site's copies would be gone too).
"""

import logging
from datetime import timedelta

from nats.js import JetStreamContext
from sqlalchemy import delete, select, update

from services.privacy import model
from services.privacy.settings import PrivacySettings
from services.privacy.store import PrivacyUnitOfWork
from services.privacy.streams import erase_person
from services.privacy.tables import access_log, scrubs, ts
from shared import network
from shared.contract import privacy as pv
from shared.service import RunningService

log = logging.getLogger(__name__)
SCRUB_BATCH = 20


def jetstream(service: RunningService) -> JetStreamContext:
    return service.js


async def scrub_pending(service: RunningService) -> int:
    """Erase the stream copies queued by erasures; report each erasure applied. Returns scrubs done."""
    async with service.engine.connect() as conn:
        rows = (await conn.execute(
            select(scrubs).where(scrubs.c.done_at.is_(None)).order_by(scrubs.c.id).limit(SCRUB_BATCH)
        )).all()
    js = jetstream(service)
    for row in rows:
        erased = await erase_person(js, service.settings, row.citizen_id, row.before_at)
        uow = service.unit_of_work()
        async with uow:
            await uow.conn.execute(update(scrubs).where(scrubs.c.id == row.id).values(
                done_at=ts(service.now()), stream_messages=erased,
            ))
            if row.erasure_id is not None:
                uow.emit(pv.ErasureApplied(citizen_id=row.citizen_id, erasure_id=row.erasure_id,
                                           node=service.settings.site, stream_messages_erased=erased))
            await uow.commit()
        what = "erasure applied" if row.erasure_id else "late copy of an erased person's card"
        log.info("privacy: %s on %s (%d stream copies erased)", what, service.settings.site, erased)
    if rows:
        service.relay.wake()
    return len(rows)


async def retain(service: RunningService, settings: PrivacySettings) -> list[str]:
    """Anonymise the people inactive for ``privacy_inactivity_months``; returns their ids (hub only)."""
    if service.settings.site != network.HUB:
        return []
    now = service.now()
    cutoff = model.months_before(now, settings.privacy_inactivity_months)
    uow = service.unit_of_work()
    assert isinstance(uow, PrivacyUnitOfWork)
    async with uow:
        found = model.inactive(await uow.repo.people_inactive_since(ts(cutoff)), cutoff)
        for citizen_id in found:
            await uow.repo.forget(citizen_id)  # not picked twice while the erasure goes round
            uow.emit(pv.CitizenErased(citizen_id=citizen_id, reason="retention"))
        old_entries = ts(model.months_before(now, settings.privacy_access_log_months))
        await uow.conn.execute(delete(access_log).where(access_log.c.at < old_entries))
        await uow.commit()
    if found:
        service.relay.wake()
        log.info("privacy: %d inactive people anonymised (no activity since %s)", len(found), cutoff.date())
    return found


def scrub_period(settings: PrivacySettings) -> float:
    return settings.privacy_scrub_period_seconds


def retention_period(settings: PrivacySettings) -> float:
    return timedelta(hours=settings.privacy_retention_check_hours).total_seconds()
