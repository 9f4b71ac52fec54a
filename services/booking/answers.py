"""How the booking service answers: outcome events built from model objects, and refusals.

Refusals are answers, not errors: they become ``booking.rejected`` / ``*.command_rejected`` events.
"""

import uuid
from typing import Any

from services.booking.model import Booking, Citizen, Status
from services.booking.store import BookingUnitOfWork
from shared.contract import attendance as att
from shared.contract import booking as bk
from shared.contract.citizen import CitizenRef
from shared.contract.envelope import Request

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
