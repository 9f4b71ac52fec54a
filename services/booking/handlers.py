"""One async function per incoming message: load, ask the model, save, emit.

Refusals are answers, not errors: they become ``booking.rejected`` / ``*.command_rejected`` events.
"""

import uuid
from collections.abc import Mapping
from typing import Any

from services.booking.model import (
    Booking,
    Citizen,
    Refusal,
    Resource,
    Rules,
    Status,
    Workshop,
    series_ids,
    weekly_series,
)
from services.booking.store import BookingUnitOfWork
from shared.bus import Handler
from shared.contract import attendance as att
from shared.contract import booking as bk
from shared.contract.citizen import CitizenRef
from shared.contract.envelope import Event, Request

_IDS = uuid.UUID("6f1c2a8e-5b7d-4e3a-9c1f-2d4b6a8e0c13")


def new_booking_id(request_id: str) -> str:
    # Derived from the request so that re-deciding the same request names the same booking.
    return str(uuid.uuid5(_IDS, request_id))


def citizen_of(ref: CitizenRef) -> Citizen:
    return Citizen(ref.citizen_id, ref.age_bracket, ref.commune_insee, ref.status, ref.gender)


def ref_of(c: Citizen) -> CitizenRef:
    return CitizenRef.model_validate(c.__dict__)


def reject(uow: BookingUnitOfWork, cmd: Request, reason: str, detail: str) -> None:
    cls = att.AttendanceCommandRejected if cmd.TYPE.startswith("attendance.") else bk.BookingCommandRejected
    uow.emit(cls(request_id=cmd.request_id, request_type=cmd.TYPE, reason=reason, detail=detail))


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
    workshop = await uow.repo.workshop(cmd.workshop_id)
    if workshop is None:
        if await not_mine(uow, cmd, cmd.workshop_id):
            return None
        return reject(uow, cmd, "unknown_workshop", f"Atelier inconnu : {cmd.workshop_id}.")
    try:
        workshop.reschedule(cmd.starts_at, cmd.ends_at, cmd.room, uow.now())
    except Refusal as no:
        return reject(uow, cmd, no.reason, no.detail)
    uow.emit(bk.WorkshopRescheduled(
        request_id=cmd.request_id, workshop_id=workshop.workshop_id, site=workshop.site, room=workshop.room,
        starts_at=workshop.starts_at, ends_at=workshop.ends_at,
    ))


async def cancel_workshop(cmd: bk.WorkshopCancelRequested, uow: BookingUnitOfWork) -> None:
    workshop = await uow.repo.workshop(cmd.workshop_id)
    if workshop is None:
        if await not_mine(uow, cmd, cmd.workshop_id):
            return None
        return reject(uow, cmd, "unknown_workshop", f"Atelier inconnu : {cmd.workshop_id}.")
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


async def note_elsewhere(event: bk.WorkshopScheduled | bk.ResourceAdded, uow: BookingUnitOfWork) -> None:
    """Another node's workshop or resource: remembered so requests made here are passed on."""
    if event.origin != uow.origin:
        item = event.workshop_id if isinstance(event, bk.WorkshopScheduled) else event.resource_id
        await uow.repo.note_elsewhere(item, event.site)


async def not_mine(uow: BookingUnitOfWork, cmd: Request, item_id: str | None) -> bool:
    """True when another node decides this request: then it is ignored here, or passed on if made here.

    A request made at another node reached us only because we might own what it is about; we don't.
    A request made here for something another node owns is answered "pending" (DESIGN §4)."""
    if cmd.origin != uow.origin:
        return True
    owner = await uow.repo.owner_elsewhere(item_id) if item_id else None
    if owner is None and not (item_id is None and uow.routes_unknown_bookings):
        return False
    pass_on(uow, cmd, owner)
    return True


def pass_on(uow: BookingUnitOfWork, cmd: Request, owner: str | None) -> None:
    if cmd.origin != uow.origin:
        return  # made elsewhere for a site we do not decide for: its node answers
    where = f"le lieu « {owner} »" if owner else "le lieu concerné"
    uow.emit(bk.RequestPending(
        request_id=cmd.request_id, request_type=cmd.TYPE, owner_site=owner,
        detail=f"Demande transmise : {where} confirmera dès qu'il sera joignable.",
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
    if cmd.by == "citizen" and (target is None or target.citizen.citizen_id != cmd.citizen_id):
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


def confirmed(request_id: str, site: str, booking: Booking) -> bk.BookingConfirmed:
    return bk.BookingConfirmed(
        request_id=request_id, booking_id=booking.booking_id, site=site, workshop_id=booking.workshop_id,
        resource_id=booking.resource_id, starts_at=booking.starts_at, ends_at=booking.ends_at,
        citizen=ref_of(booking.citizen), booked_by_staff=booking.booked_by_staff,
    )


def refuse_seat(uow: BookingUnitOfWork, cmd: Any, citizen_id: str, reason: str, detail: str) -> None:
    uow.emit(bk.BookingRejected(
        request_id=cmd.request_id, request_type=cmd.TYPE, reason=reason, detail=detail,
        workshop_id=getattr(cmd, "workshop_id", None), resource_id=getattr(cmd, "resource_id", None),
        citizen_id=citizen_id,
    ))


def emit_cancelled(
    uow: BookingUnitOfWork, request_id: str, site: str, booking: Booking, was: Status, by: Any, reason: str
) -> None:
    uow.emit(bk.BookingCancelled(
        request_id=request_id, booking_id=booking.booking_id, site=site, workshop_id=booking.workshop_id,
        resource_id=booking.resource_id, citizen_id=booking.citizen.citizen_id, by=by, reason=reason,
        was=was.value,
    ))


# --- attendance --------------------------------------------------------------------------------

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
    workshop = await uow.repo.workshop(cmd.workshop_id)
    if workshop is None:
        if await not_mine(uow, cmd, cmd.workshop_id):
            return None
        return reject(uow, cmd, "unknown_workshop", f"Atelier inconnu : {cmd.workshop_id}.")
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
    workshop = await uow.repo.workshop(cmd.workshop_id)
    if workshop is None:
        if await not_mine(uow, cmd, cmd.workshop_id):
            return None
        return reject(uow, cmd, "unknown_workshop", f"Atelier inconnu : {cmd.workshop_id}.")
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


HANDLERS: Mapping[type[Event], Handler] = {
    bk.WorkshopScheduled: note_elsewhere,
    bk.ResourceAdded: note_elsewhere,
    bk.WorkshopScheduleRequested: schedule_workshop,
    bk.WorkshopRescheduleRequested: reschedule_workshop,
    bk.WorkshopCancelRequested: cancel_workshop,
    bk.ResourceAddRequested: add_resource,
    bk.BookingRequested: request_seat,
    bk.SlotRequested: request_slot,
    bk.CancelRequested: cancel_booking,
    att.CheckInRequested: check_in,
    att.WalkInRequested: walk_in,
    att.SessionCloseRequested: close_session,
    att.AccompanimentSubmitted: record_accompaniment,
}

__all__ = ["HANDLERS", "Rules"]
