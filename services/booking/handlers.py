"""Workshops, resources, seats and slots: one async function per request — load, ask the model, save, emit.

Attendance is in attendance.py, what crosses nodes in routing.py, the message → function map in routes.py.
"""


from services.booking.answers import (
    citizen_of,
    confirmed,
    emit_cancelled,
    new_booking_id,
    ref_of,
    refuse_seat,
    reject,
)
from services.booking.model import (
    Refusal,
    Resource,
    Status,
    Workshop,
    series_ids,
    weekly_series,
)
from services.booking.routing import not_mine, pass_on, workshop_here
from services.booking.store import BookingUnitOfWork
from shared.contract import booking as bk

# --- workshops and resources ------------------------------------------------------------------

async def schedule_workshop(cmd: bk.WorkshopScheduleRequested, uow: BookingUnitOfWork) -> None:
    if not uow.decides(cmd.site):
        return pass_on(uow, cmd, cmd.site)
    ids = series_ids(cmd.workshop_id, cmd.weekly_occurrences)
    existing = [wid for wid in ids if await uow.repo.workshop(wid) is not None]
    if existing:
        return reject(uow, cmd, "duplicate", f"Atelier déjà programmé : {', '.join(existing)}.")
    if cmd.starts_at <= uow.now():
        return reject(uow, cmd, "past", "La date de l'atelier est déjà passée.")
    series = cmd.workshop_id if cmd.weekly_occurrences > 1 else None
    for wid, (starts, ends) in zip(ids, weekly_series(cmd.starts_at, cmd.ends_at, cmd.weekly_occurrences), strict=True):
        workshop = Workshop(
            wid, cmd.site, cmd.room, cmd.title, list(cmd.themes), cmd.level, starts, ends, cmd.capacity,
            series_id=series,
        )
        uow.repo.add_workshop(workshop, cmd.request_id)
        uow.emit(bk.WorkshopScheduled(
            request_id=cmd.request_id, workshop_id=wid, series_id=series, site=cmd.site, room=cmd.room,
            title=cmd.title, themes=cmd.themes, level=cmd.level, starts_at=starts, ends_at=ends,
            capacity=cmd.capacity,
        ))


async def reschedule_workshop(cmd: bk.WorkshopRescheduleRequested, uow: BookingUnitOfWork) -> None:
    workshop = await workshop_here(uow, cmd)
    if workshop is None:
        return None
    try:
        workshop.reschedule(cmd.starts_at, cmd.ends_at, cmd.room, uow.now())
    except Refusal as no:
        return reject(uow, cmd, no.reason, no.detail)
    uow.emit(bk.WorkshopRescheduled(
        request_id=cmd.request_id, workshop_id=workshop.workshop_id, site=workshop.site, room=workshop.room,
        starts_at=workshop.starts_at, ends_at=workshop.ends_at,
    ))


async def cancel_workshop(cmd: bk.WorkshopCancelRequested, uow: BookingUnitOfWork) -> None:
    workshop = await workshop_here(uow, cmd)
    if workshop is None:
        return None
    try:
        released = workshop.cancel_all()
    except Refusal as no:
        return reject(uow, cmd, no.reason, no.detail)
    for booking, was in released:
        uow.repo.released(booking)
        emit_cancelled(uow, cmd.request_id, workshop.site, booking, was, "staff", "workshop_cancelled")
    uow.emit(bk.WorkshopCancelled(
        request_id=cmd.request_id, workshop_id=workshop.workshop_id, site=workshop.site,
        reason=cmd.reason, bookings_released=len(released),
    ))


async def add_resource(cmd: bk.ResourceAddRequested, uow: BookingUnitOfWork) -> None:
    if not uow.decides(cmd.site):
        return pass_on(uow, cmd, cmd.site)
    if await uow.repo.resource(cmd.resource_id) is not None:
        return reject(uow, cmd, "duplicate", f"Ressource déjà enregistrée : {cmd.resource_id}.")
    uow.repo.add_resource(Resource(cmd.resource_id, cmd.site, cmd.kind, cmd.name))
    uow.emit(bk.ResourceAdded(
        request_id=cmd.request_id, resource_id=cmd.resource_id, site=cmd.site, kind=cmd.kind, name=cmd.name,
    ))


# --- seats and slots ---------------------------------------------------------------------------

async def request_seat(cmd: bk.BookingRequested, uow: BookingUnitOfWork) -> None:
    citizen_id = cmd.citizen.citizen_id
    workshop = await uow.repo.workshop(cmd.workshop_id)
    if workshop is None:
        if await not_mine(uow, cmd, cmd.workshop_id):
            return None
        return refuse_seat(uow, cmd, citizen_id, "unknown_workshop", f"Atelier inconnu : {cmd.workshop_id}.")
    if (known := uow.repo.booking_for_request(cmd.request_id)) is not None:
        return refuse_seat(uow, cmd, citizen_id, "duplicate", f"Demande déjà traitée (réservation {known}).")
    try:
        booking = workshop.request_seat(
            new_booking_id(cmd.request_id), cmd.request_id, citizen_of(cmd.citizen), now=uow.now(),
            rules=uow.rules, active_bookings=await uow.repo.active_bookings(citizen_id),
            by_staff=cmd.booked_by_staff,
        )
    except Refusal as no:
        return refuse_seat(uow, cmd, citizen_id, no.reason, no.detail)
    uow.repo.booked(booking)
    if booking.status == Status.confirmed:
        uow.emit(confirmed(cmd.request_id, workshop.site, booking))
    else:
        uow.emit(bk.BookingWaitlisted(
            request_id=cmd.request_id, booking_id=booking.booking_id, site=workshop.site,
            workshop_id=workshop.workshop_id, starts_at=workshop.starts_at,
            position=workshop.waitlist_position(booking), citizen=cmd.citizen, booked_by_staff=cmd.booked_by_staff,
        ))


async def request_slot(cmd: bk.SlotRequested, uow: BookingUnitOfWork) -> None:
    citizen_id = cmd.citizen.citizen_id
    resource = await uow.repo.resource(cmd.resource_id)
    if resource is None:
        if await not_mine(uow, cmd, cmd.resource_id):
            return None
        return refuse_seat(uow, cmd, citizen_id, "unknown_resource", f"Ressource inconnue : {cmd.resource_id}.")
    if (known := uow.repo.booking_for_request(cmd.request_id)) is not None:
        return refuse_seat(uow, cmd, citizen_id, "duplicate", f"Demande déjà traitée (réservation {known}).")
    try:
        booking = resource.book_slot(
            new_booking_id(cmd.request_id), cmd.request_id, citizen_of(cmd.citizen), cmd.starts_at, cmd.ends_at,
            now=uow.now(), rules=uow.rules, active_bookings=await uow.repo.active_bookings(citizen_id),
            by_staff=cmd.booked_by_staff,
        )
    except Refusal as no:
        return refuse_seat(uow, cmd, citizen_id, no.reason, no.detail)
    uow.repo.booked(booking)
    uow.emit(confirmed(cmd.request_id, resource.site, booking))


async def cancel_booking(cmd: bk.CancelRequested, uow: BookingUnitOfWork) -> None:
    owner = await uow.repo.owner_of(cmd.booking_id)
    if owner is None:
        if await not_mine(uow, cmd, None):
            return None
        return reject(uow, cmd, "unknown_booking", f"Réservation inconnue : {cmd.booking_id}.")
    target = owner.find(cmd.booking_id)
    if target is None or not target.active:  # cancelled or past bookings are not loaded at all
        return reject(uow, cmd, "not_active", "Cette réservation n'est pas (ou plus) active.")
    if cmd.by == "citizen" and target.citizen.citizen_id != cmd.citizen_id:
        return reject(uow, cmd, "not_yours", "Cette réservation appartient à une autre personne.")
    try:
        if isinstance(owner, Workshop):
            booking, was, promoted = owner.cancel(cmd.booking_id, uow.now())
        else:
            (booking, was), promoted = owner.cancel(cmd.booking_id, uow.now()), None
    except Refusal as no:
        return reject(uow, cmd, no.reason, no.detail)
    uow.repo.released(booking)
    emit_cancelled(uow, cmd.request_id, owner.site, booking, was, cmd.by, "cancelled_by_" + cmd.by)
    if promoted is not None and isinstance(owner, Workshop):
        uow.emit(bk.BookingPromoted(
            request_id=promoted.request_id, booking_id=promoted.booking_id, site=owner.site,
            workshop_id=owner.workshop_id, starts_at=owner.starts_at, ends_at=owner.ends_at,
            citizen=ref_of(promoted.citizen),
        ))
