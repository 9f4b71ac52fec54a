"""One async function per incoming event: load, decide with the model, save.

Stream copies are not erased here (a handler is one database transaction): an erasure queues a
scrub, and the scrub job erases the copies and reports ``privacy.erasure_applied``.
"""

import logging
from collections.abc import Mapping

from services.privacy.model import ACTIVITY_TYPES, citizen_of, is_stale
from services.privacy.store import PrivacyUnitOfWork
from services.privacy.tables import ts
from shared import network
from shared.bus import Handler
from shared.contract import REGISTRY
from shared.contract import directory as dr
from shared.contract import privacy as pv
from shared.contract.envelope import Event, Request

log = logging.getLogger(__name__)
Uow = PrivacyUnitOfWork


async def citizen_erased(e: pv.CitizenErased, uow: Uow) -> None:
    if e.origin != network.HUB:  # erasure is decided at the hub (DESIGN §4); a site cannot order one
        log.warning("privacy: erasure from %s ignored (only the hub decides)", e.origin)
        return
    await uow.repo.log_erasure(e.citizen_id, e.occurred_at)
    await uow.repo.forget(e.citizen_id)
    uow.untouch(e.citizen_id)
    await uow.repo.scrub_later(e.citizen_id, ts(e.occurred_at), e.event_id)
    # Other holders of directory rows on this node (the console's names) listen to this one.
    uow.emit(dr.ContactErased(citizen_id=e.citizen_id, request_id=e.event_id, staff_id=e.staff_id))


async def contact_registered(e: dr.ContactRegistered, uow: Uow) -> None:
    erased_at = await uow.repo.erased_at(e.citizen_id)
    if is_stale(ts(e.occurred_at), erased_at):
        # Registered before the erasure but seen only now (an offline site, a replay): its copies go too.
        assert erased_at is not None
        await uow.repo.scrub_later(e.citizen_id, erased_at, None)
        return
    uow.touch(e.citizen_id, e.occurred_at, registered=True)


async def activity(e: Event, uow: Uow) -> None:
    citizen_id = citizen_of(e)
    if citizen_id is not None:
        uow.touch(citizen_id, e.occurred_at)


async def erasure_applied(e: pv.ErasureApplied, uow: Uow) -> None:
    await uow.repo.mark_applied(e.citizen_id, e.node, e.occurred_at, e.stream_messages_erased)


def _activity_handlers() -> dict[type[Event], Handler]:
    # Requests are left out: their outcome (confirmed, rejected…) is the fact that counts.
    return {REGISTRY[t]: activity for t in sorted(ACTIVITY_TYPES) if not issubclass(REGISTRY[t], Request)}


HANDLERS: Mapping[type[Event], Handler] = {
    **_activity_handlers(),
    dr.ContactRegistered: contact_registered,
    pv.CitizenErased: citizen_erased,
    pv.ErasureApplied: erasure_applied,
}
