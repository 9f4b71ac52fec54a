"""Attendance: check-ins, walk-ins, closing a session (no-shows), individual accompaniments."""

from services.booking.answers import citizen_of, emit_cancelled, new_booking_id, ref_of, reject
from services.booking.model import Booking, Refusal, Status, Workshop
from services.booking.routing import not_mine, workshop_here
from services.booking.store import BookingUnitOfWork
from shared.contract import attendance as att
from shared.contract.envelope import Event


async def check_in(cmd: att.CheckInRequested, uow: BookingUnitOfWork) -> None:
    owner = await uow.repo.owner_of(cmd.booking_id)
    if owner is None and await not_mine(uow, cmd, None):
        return None
    if not isinstance(owner, Workshop):
        return reject(uow, cmd, "unknown_booking", f"Réservation d'atelier inconnue : {cmd.booking_id}.")
    try:
        booking = owner.check_in(cmd.booking_id)
    except Refusal as no:
        return reject(uow, cmd, no.reason, no.detail)
    uow.repo.released(booking)
    uow.emit(checked_in(cmd.request_id, owner, booking))


async def walk_in(cmd: att.WalkInRequested, uow: BookingUnitOfWork) -> None:
    workshop = await workshop_here(uow, cmd)
    if workshop is None:
        return None
    try:
        booking = workshop.walk_in(
            new_booking_id(cmd.request_id), cmd.request_id, citizen_of(cmd.citizen), override=cmd.override_capacity
        )
    except Refusal as no:
        return reject(uow, cmd, no.reason, no.detail)
    if booking.request_id == cmd.request_id:
        uow.repo.booked(booking)
    else:  # an existing booking (confirmed or waitlisted) turned into a presence
        uow.repo.released(booking)
    uow.emit(checked_in(cmd.request_id, workshop, booking))


async def close_session(cmd: att.SessionCloseRequested, uow: BookingUnitOfWork) -> None:
    workshop = await workshop_here(uow, cmd)
    if workshop is None:
        return None
    try:
        no_shows, released = workshop.close()
    except Refusal as no:
        return reject(uow, cmd, no.reason, no.detail)
    for booking in no_shows:
        uow.repo.released(booking)
        uow.emit(att.NoShow(
            request_id=cmd.request_id, booking_id=booking.booking_id, workshop_id=workshop.workshop_id,
            site=workshop.site, citizen=ref_of(booking.citizen), starts_at=workshop.starts_at,
        ))
    for booking in released:
        uow.repo.released(booking)
        emit_cancelled(uow, cmd.request_id, workshop.site, booking, Status.waitlisted, "staff", "session_closed")
    uow.emit(att.SessionClosed(
        request_id=cmd.request_id, workshop_id=workshop.workshop_id, site=workshop.site, title=workshop.title,
        themes=workshop.themes, level=workshop.level, starts_at=workshop.starts_at,
        duration_minutes=workshop.duration_minutes, capacity=workshop.capacity, **workshop.summary(),
    ))


async def record_accompaniment(cmd: att.AccompanimentSubmitted, uow: BookingUnitOfWork) -> None:
    if cmd.day > uow.now().date():
        return reject(uow, cmd, "future_date", "Un accompagnement ne peut pas être daté dans le futur.")
    fields = cmd.model_dump(include=set(att.AccompanimentRecorded.model_fields) - set(Event.model_fields))
    uow.emit(att.AccompanimentRecorded(**fields))


def checked_in(request_id: str, workshop: Workshop, booking: Booking) -> att.CheckedIn:
    return att.CheckedIn(
        request_id=request_id, booking_id=booking.booking_id, workshop_id=workshop.workshop_id,
        site=workshop.site, citizen=ref_of(booking.citizen), walk_in=booking.walk_in, starts_at=workshop.starts_at,
    )


