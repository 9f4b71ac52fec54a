"""What crosses nodes (DESIGN §4): the owner decides; everyone else remembers who the owner is.

- A request made at the hub for a site's workshop is passed on: the hub answers
  ``booking.request_pending`` carrying the request, and the owning site decides it when it sees that
  event (through its copy of the hub's stream) — so a site never decides a raw hub request twice.
- A site may grant the hub an escrow quota of seats: within it the hub confirms at once, the site
  turns each such confirmation into one of the seats it set aside, and capacity is never exceeded.
"""

from typing import Any

from services.booking.answers import citizen_of, confirmed, new_booking_id, reject
from services.booking.model import Booking, Refusal, Status, Workshop
from services.booking.store import BookingUnitOfWork
from services.booking.tables import dt
from shared.contract import booking as bk
from shared.contract.envelope import Request
from shared.network import HUB


async def note_elsewhere(event: bk.WorkshopScheduled | bk.ResourceAdded, uow: BookingUnitOfWork) -> None:
    """Another node's workshop or resource: remembered so requests made here are passed on."""
    if event.origin == uow.origin or event.origin not in (event.site, HUB):
        return  # ours, or a node announcing what another site owns (forged): nothing to remember
    if isinstance(event, bk.WorkshopScheduled):
        await uow.repo.note_elsewhere(event.workshop_id, event.site, event.starts_at, event.ends_at)
    else:
        await uow.repo.note_elsewhere(event.resource_id, event.site)


async def not_mine(uow: BookingUnitOfWork, cmd: Request, item_id: str | None) -> bool:
    """True when another node decides this request: it is then passed on (if made here) or ignored."""
    if uow.forwarded:
        return True  # passed on by the hub to every site that might own it: not us
    owner = await uow.repo.owner_elsewhere(item_id) if item_id else None
    if owner is None and not (item_id is None and uow.routes_unknown_bookings):
        return False
    if isinstance(cmd, bk.BookingRequested) and owner and await within_escrow(cmd, owner, uow):
        return True
    pass_on(uow, cmd, owner)
    return True


async def workshop_here(uow: BookingUnitOfWork, cmd: Any) -> Workshop | None:
    """The workshop a command is about, if this node decides for it; otherwise the command has been
    answered (unknown workshop), passed on or ignored, and None is returned."""
    workshop = await uow.repo.workshop(cmd.workshop_id)
    if workshop is None and not await not_mine(uow, cmd, cmd.workshop_id):
        reject(uow, cmd, "unknown_workshop", f"Atelier inconnu : {cmd.workshop_id}.")
    return workshop


def pass_on(uow: BookingUnitOfWork, cmd: Request, owner: str | None) -> None:
    if uow.forwarded:
        return
    where = f"le lieu « {owner} »" if owner else "le lieu concerné"
    uow.emit(bk.RequestPending(
        request_id=cmd.request_id, request_type=cmd.TYPE, owner_site=owner,
        detail=f"Demande transmise : {where} confirmera dès qu'il sera joignable.",
        request=cmd.model_dump(mode="json"),
    ))


async def within_escrow(cmd: bk.BookingRequested, owner: str, uow: BookingUnitOfWork) -> bool:
    """The hub confirms at once while the owner's quota lasts."""
    place = await uow.repo.elsewhere(cmd.workshop_id)
    if place is None or place.starts_at is None or not await uow.repo.take_escrow_seat(cmd.workshop_id):
        return False
    booking = Booking(
        new_booking_id(cmd.request_id), cmd.request_id, citizen_of(cmd.citizen), status=Status.confirmed,
        starts_at=dt(place.starts_at), ends_at=dt(place.ends_at), workshop_id=cmd.workshop_id,
        booked_by_staff=cmd.booked_by_staff,
    )
    uow.emit(confirmed(cmd.request_id, owner, booking).model_copy(update={"escrow": True}))
    return True


async def grant_escrow(cmd: bk.EscrowGrantRequested, uow: BookingUnitOfWork) -> None:
    workshop = await uow.repo.workshop(cmd.workshop_id)
    if workshop is None:
        return reject(uow, cmd, "unknown_workshop", f"Atelier inconnu : {cmd.workshop_id}.")
    try:
        workshop.grant_escrow(cmd.seats)
    except Refusal as no:
        return reject(uow, cmd, no.reason, no.detail)
    uow.emit(bk.EscrowGranted(
        request_id=cmd.request_id, workshop_id=workshop.workshop_id, site=workshop.site,
        seats=workshop.escrow_seats, starts_at=workshop.starts_at, ends_at=workshop.ends_at,
    ))


async def note_escrow(event: bk.EscrowGranted, uow: BookingUnitOfWork) -> None:
    # Only the owning site grants seats of its own workshop: a quota announced by anyone else is forged.
    if event.origin != uow.origin and event.origin == event.site:
        await uow.repo.set_escrow(event.workshop_id, event.site, event.seats, event.starts_at, event.ends_at)


async def escrow_booking_made_at_hub(event: bk.BookingConfirmed, uow: BookingUnitOfWork) -> None:
    """At the owning site: a seat the hub confirmed within the quota becomes a real booking here."""
    # Only the hub confirms within a quota, and only for a site: any other "escrow" booking is forged.
    if not event.escrow or event.origin != HUB or uow.origin == HUB or event.workshop_id is None:
        return
    workshop = await uow.repo.workshop(event.workshop_id)
    if workshop is None or workshop.find(event.booking_id) is not None:
        return
    booking = workshop.fill_escrow(event.booking_id, event.request_id, citizen_of(event.citizen))
    uow.repo.booked(booking)
    if booking.status != Status.confirmed:  # the quota was gone: capacity wins, the person is told
        uow.emit(bk.BookingWaitlisted(
            request_id=event.request_id, booking_id=booking.booking_id, site=workshop.site,
            workshop_id=workshop.workshop_id, starts_at=workshop.starts_at,
            position=workshop.waitlist_position(booking), citizen=event.citizen,
        ))
