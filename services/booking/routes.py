"""Which function handles which message (Cosmic Python's bus routes by a mapping, not by ifs)."""

from collections.abc import Mapping
from typing import Any

from services.booking import attendance, handlers, routing
from services.booking.store import BookingUnitOfWork
from shared.bus import Handler
from shared.contract import attendance as att
from shared.contract import booking as bk
from shared.contract.envelope import REGISTRY, Event

# Requests this node decides when they were made here, or when the hub passes them on.
REQUESTS: Mapping[type[Event], Handler] = {
    bk.WorkshopScheduleRequested: handlers.schedule_workshop,
    bk.WorkshopRescheduleRequested: handlers.reschedule_workshop,
    bk.WorkshopCancelRequested: handlers.cancel_workshop,
    bk.ResourceAddRequested: handlers.add_resource,
    bk.BookingRequested: handlers.request_seat,
    bk.SlotRequested: handlers.request_slot,
    bk.CancelRequested: handlers.cancel_booking,
    bk.EscrowGrantRequested: routing.grant_escrow,
    att.CheckInRequested: attendance.check_in,
    att.WalkInRequested: attendance.walk_in,
    att.SessionCloseRequested: attendance.close_session,
    att.AccompanimentSubmitted: attendance.record_accompaniment,
}


def made_here(handler: Handler) -> Handler:
    async def decide(cmd: Any, uow: BookingUnitOfWork) -> None:
        if cmd.origin == uow.origin or uow.lone_hub:
            await handler(cmd, uow)
        # else: made at the hub; the hub passes it on as booking.request_pending if it is ours

    return decide


async def passed_on(event: bk.RequestPending, uow: BookingUnitOfWork) -> None:
    """The hub passed a request on: decide it here if this site owns what it is about."""
    if event.origin == uow.origin or event.request is None or event.owner_site not in (None, uow.origin):
        return
    cls = REGISTRY.get(event.request_type)
    if cls is None or cls not in REQUESTS:
        return
    uow.forwarded = True
    try:
        await REQUESTS[cls](cls.model_validate(event.request), uow)
    finally:
        uow.forwarded = False


# Other nodes' facts: who owns which workshop, escrow quotas and their use, requests passed on.
FOREIGN: Mapping[type[Event], Handler] = {
    bk.WorkshopScheduled: routing.note_elsewhere,
    bk.ResourceAdded: routing.note_elsewhere,
    bk.EscrowGranted: routing.note_escrow,
    bk.BookingConfirmed: routing.escrow_booking_made_at_hub,
    bk.RequestPending: passed_on,
}
FOREIGN_FACTS = frozenset(FOREIGN)

HANDLERS: Mapping[type[Event], Handler] = {
    **FOREIGN,
    **{cls: made_here(handler) for cls, handler in REQUESTS.items()},
}
