"""One async function per incoming event: load, decide with the model, save (in memory: the
repository reads a batch's rows before its handlers run and writes them back after).

Handlers only *decide* (messages written with the inbox row, in one transaction); the sender job
delivers them later. So a redelivered event is a no-op and a slow provider never holds the bus.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from services.notifications import model as m
from services.notifications.inventory_events import INVENTORY_HANDLERS
from services.notifications.purposes import ALL_CHANNELS
from services.notifications.store import NotificationsUnitOfWork
from services.notifications.tables import ts
from shared.bus import Handler
from shared.contract import attendance as att
from shared.contract import booking as bk
from shared.contract import directory as dr
from shared.contract import privacy as pv
from shared.contract.envelope import Event
from shared.network import HUB

Uow = NotificationsUnitOfWork

# --- directory ----------------------------------------------------------------------------------

async def register_contact(e: dr.ContactRegistered, uow: Uow) -> None:
    if await _stale(e.citizen_id, e.occurred_at, uow):
        return  # registered before an erasure, seen only now: the profile is never recreated
    await uow.repo.save_contact(e.citizen_id, {
        "site": e.site, "display_name": e.display_name, "email": e.email, "phone": e.phone,
        "preferred_channel": e.preferred_channel, "language": e.language,
        "call_if_unreachable": e.call_if_unreachable,
    })
    for channel in m.Channel:
        granted = str(channel) in e.consents
        await uow.repo.set_consent(e.citizen_id, str(channel), granted, e.occurred_at, e.staff_id)
        if not granted:
            await uow.repo.reroute_channel(e.citizen_id, channel)


async def change_consent(e: dr.ConsentChanged, uow: Uow) -> None:
    if await _stale(e.citizen_id, e.changed_at, uow):
        return
    await uow.repo.set_consent(e.citizen_id, e.channel, e.granted, e.changed_at, e.staff_id)
    if not e.granted:
        await uow.repo.reroute_channel(e.citizen_id, m.Channel(e.channel))


async def erase_contact(e: dr.ContactErased, uow: Uow) -> None:
    await uow.repo.cancel_open("contact_erased", recipient=e.citizen_id)
    await uow.repo.erase_contact(e.citizen_id)


async def erase_citizen(e: pv.CitizenErased, uow: Uow) -> None:
    """The right to erasure, decided at the hub: nothing more is sent, even what was scheduled."""
    if e.origin != HUB:
        return  # only the hub decides an erasure (DESIGN §4)
    await uow.repo.cancel_open("citizen_erased", recipient=e.citizen_id)
    await uow.repo.forget(e.citizen_id)
    await uow.repo.log_erasure(e.citizen_id, e.occurred_at)


async def change_purpose_consent(e: pv.PurposeConsentChanged, uow: Uow) -> None:
    if await _stale(e.citizen_id, e.changed_at, uow):
        return
    channel = e.channel or ALL_CHANNELS
    await uow.repo.set_purpose_consent(e.citizen_id, e.purpose, channel, e.granted, e.changed_at, e.staff_id)
    if not e.granted:  # effective at once: what waits for that purpose is re-routed or cancelled
        await uow.repo.withdraw_purpose(e.citizen_id, e.purpose, e.channel)


async def _stale(citizen_id: str, at: datetime, uow: Uow) -> bool:
    erased_at = await uow.repo.erased_at(citizen_id)
    return erased_at is not None and at.timestamp() <= erased_at


# --- workshops and resources --------------------------------------------------------------------

async def workshop_scheduled(e: bk.WorkshopScheduled, uow: Uow) -> None:
    await uow.repo.save_activity(e.workshop_id, {
        "kind": "workshop", "site": e.site, "title": e.title, "room": e.room,
        "starts_at": ts(e.starts_at), "ends_at": ts(e.ends_at), "status": "scheduled",
    })


async def resource_added(e: bk.ResourceAdded, uow: Uow) -> None:
    await uow.repo.save_activity(e.resource_id, {
        "kind": e.kind, "site": e.site, "title": e.name, "room": None, "starts_at": None, "ends_at": None,
        "status": "scheduled",
    })


async def workshop_rescheduled(e: bk.WorkshopRescheduled, uow: Uow) -> None:
    await uow.repo.save_activity(e.workshop_id, {
        "site": e.site, "room": e.room, "starts_at": ts(e.starts_at), "ends_at": ts(e.ends_at),
    })
    now = uow.now()
    for booking in await uow.repo.bookings_of(e.workshop_id, ("confirmed", "waitlisted")):
        await uow.repo.cancel_open("rescheduled", booking_id=booking.booking_id)
        booking.starts_at, booking.ends_at = e.starts_at, e.ends_at
        if booking.status == "confirmed":
            plans = [m.invitation_plan(m.Kind.workshop_rescheduled, booking, now)]
            plans += m.reminder_plans(booking, now, uow.reminder_offsets)
        else:
            plans = [m.Plan(m.Kind.workshop_rescheduled, f"{booking.booking_id}#{e.event_id}", booking.citizen_id,
                            booking.site, now, booking.starts_at, booking.booking_id, booking.booking_context())]
        await uow.repo.save_booking(booking)
        await uow.repo.schedule(*plans)


async def workshop_cancelled(e: bk.WorkshopCancelled, uow: Uow) -> None:
    await uow.repo.save_activity(e.workshop_id, {"site": e.site, "status": "cancelled"})
    # booking.cancelled (one per booking) came first and told each person; this only sweeps up.
    for booking in await uow.repo.bookings_of(e.workshop_id, ("confirmed", "waitlisted")):
        await uow.repo.cancel_open("workshop_cancelled", booking_id=booking.booking_id)


# --- bookings -----------------------------------------------------------------------------------

def _view(e: bk.BookingConfirmed | bk.BookingPromoted | bk.BookingWaitlisted, status: str,
          known: m.BookingView | None) -> m.BookingView:
    activity = e.workshop_id or getattr(e, "resource_id", None)
    ends_at = getattr(e, "ends_at", None) or (known.ends_at if known else e.starts_at)
    view = m.BookingView(e.booking_id, e.citizen.citizen_id, e.site, activity, e.starts_at, ends_at, status)
    if known is not None:
        view.ics_sequence, view.in_calendar = known.ics_sequence, known.in_calendar
    return view


async def booking_confirmed(e: bk.BookingConfirmed, uow: Uow) -> None:
    booking = _view(e, "confirmed", await uow.repo.booking(e.booking_id))
    now = uow.now()
    plans = [m.invitation_plan(m.Kind.booking_confirmed, booking, now)]
    await uow.repo.save_booking(booking)
    await uow.repo.schedule(*plans, *m.reminder_plans(booking, now, uow.reminder_offsets))


async def booking_waitlisted(e: bk.BookingWaitlisted, uow: Uow) -> None:
    booking = _view(e, "waitlisted", await uow.repo.booking(e.booking_id))
    await uow.repo.save_booking(booking)
    context: dict[str, Any] = {**booking.booking_context(), "position": e.position}
    await uow.repo.schedule(m.Plan(
        m.Kind.booking_waitlisted, e.booking_id, booking.citizen_id, e.site, uow.now(), e.starts_at,
        e.booking_id, context,
    ))


async def booking_promoted(e: bk.BookingPromoted, uow: Uow) -> None:
    await uow.repo.cancel_open("promoted", booking_id=e.booking_id)  # "you are on the waitlist", if still unsent
    booking = _view(e, "confirmed", await uow.repo.booking(e.booking_id))
    now = uow.now()
    plans = [m.invitation_plan(m.Kind.booking_promoted, booking, now)]
    await uow.repo.save_booking(booking)
    await uow.repo.schedule(*plans, *m.reminder_plans(booking, now, uow.reminder_offsets))


async def booking_cancelled(e: bk.BookingCancelled, uow: Uow) -> None:
    await uow.repo.cancel_open(e.reason, booking_id=e.booking_id)
    booking = await uow.repo.booking(e.booking_id)
    if booking is None:  # never saw it booked (e.g. before this node kept a directory): nothing to undo
        return
    booking.status = "cancelled"
    kind = m.cancellation_kind(e.reason)
    if kind is not None:
        await uow.repo.schedule(m.cancellation_plan(kind, booking, uow.now(), e.by, e.was))
    await uow.repo.save_booking(booking)


async def checked_in(e: att.CheckedIn, uow: Uow) -> None:
    booking = await uow.repo.booking(e.booking_id)
    if booking is not None:
        booking.status = "attended"
        await uow.repo.save_booking(booking)
    await uow.repo.cancel_open("checked_in", booking_id=e.booking_id)


HANDLERS: Mapping[type[Event], Handler] = {
    dr.ContactRegistered: register_contact,
    dr.ConsentChanged: change_consent,
    dr.ContactErased: erase_contact,
    pv.CitizenErased: erase_citizen,
    pv.PurposeConsentChanged: change_purpose_consent,
    bk.WorkshopScheduled: workshop_scheduled,
    bk.ResourceAdded: resource_added,
    bk.WorkshopRescheduled: workshop_rescheduled,
    bk.WorkshopCancelled: workshop_cancelled,
    bk.BookingConfirmed: booking_confirmed,
    bk.BookingWaitlisted: booking_waitlisted,
    bk.BookingPromoted: booking_promoted,
    bk.BookingCancelled: booking_cancelled,
    att.CheckedIn: checked_in,
    **INVENTORY_HANDLERS,
}
