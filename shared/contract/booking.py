"""Booking events: workshops, bookable resources and seats (subjects ``tl.<origin>.booking.*``)."""

from typing import Any, Literal

from pydantic import Field, model_validator

from shared.contract.citizen import CitizenRef
from shared.contract.envelope import Event, Identifier, Rejection, Request, Slug, UtcDatetime
from shared.contract.national import Level, Theme

ResourceKind = Literal["workstation", "mediator"]
CancelledBy = Literal["citizen", "staff"]


class _TimeSpan:
    starts_at: UtcDatetime
    ends_at: UtcDatetime

    @model_validator(mode="after")
    def _ends_after_start(self):
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at doit être après starts_at")
        return self


# --- requests (front-ends and staff) ---------------------------------------------------------

class WorkshopScheduleRequested(_TimeSpan, Request):
    TYPE = "booking.workshop_schedule_requested"
    workshop_id: Identifier
    site: Slug
    room: str = Field(min_length=1, max_length=80)
    title: str = Field(min_length=1, max_length=160)
    themes: list[Theme] = Field(min_length=1)
    level: Level = Level.debutant
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    capacity: int = Field(ge=1, le=500)
    weekly_occurrences: int = Field(default=1, ge=1, le=52)
    staff_id: str | None = None


class WorkshopRescheduleRequested(_TimeSpan, Request):
    TYPE = "booking.workshop_reschedule_requested"
    workshop_id: Identifier
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    room: str | None = None
    staff_id: str | None = None


class WorkshopCancelRequested(Request):
    TYPE = "booking.workshop_cancel_requested"
    workshop_id: Identifier
    reason: str = ""
    staff_id: str | None = None


class ResourceAddRequested(Request):
    TYPE = "booking.resource_add_requested"
    resource_id: Identifier
    site: Slug
    kind: ResourceKind
    name: str = Field(min_length=1, max_length=80)


class BookingRequested(Request):
    """A seat in a workshop, for a citizen, asked by the citizen or by staff on their behalf."""

    TYPE = "booking.requested"
    workshop_id: Identifier
    citizen: CitizenRef
    booked_by_staff: str | None = None


class SlotRequested(_TimeSpan, Request):
    """A workstation slot or an appointment with a médiateur."""

    TYPE = "booking.slot_requested"
    resource_id: Identifier
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    citizen: CitizenRef
    booked_by_staff: str | None = None


class CancelRequested(Request):
    TYPE = "booking.cancel_requested"
    booking_id: Identifier
    by: CancelledBy = "citizen"
    citizen_id: str | None = None
    staff_id: str | None = None


# --- outcomes (facts decided by the owning booking service) -----------------------------------

class WorkshopScheduled(Event):
    TYPE = "booking.workshop_scheduled"
    request_id: str
    workshop_id: str
    series_id: str | None = None
    site: str
    room: str
    title: str
    themes: list[Theme]
    level: Level
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    capacity: int


class WorkshopRescheduled(Event):
    TYPE = "booking.workshop_rescheduled"
    request_id: str
    workshop_id: str
    site: str
    room: str
    starts_at: UtcDatetime
    ends_at: UtcDatetime


class WorkshopCancelled(Event):
    TYPE = "booking.workshop_cancelled"
    request_id: str
    workshop_id: str
    site: str
    reason: str
    bookings_released: int


class ResourceAdded(Event):
    TYPE = "booking.resource_added"
    request_id: str
    resource_id: str
    site: str
    kind: ResourceKind
    name: str


class BookingConfirmed(Event):
    TYPE = "booking.confirmed"
    request_id: str
    booking_id: str
    site: str
    workshop_id: str | None = None
    resource_id: str | None = None
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    citizen: CitizenRef
    booked_by_staff: str | None = None
    escrow: bool = False  # confirmed by the hub within a quota the owning site granted


class BookingWaitlisted(Event):
    TYPE = "booking.waitlisted"
    request_id: str
    booking_id: str
    site: str
    workshop_id: str
    starts_at: UtcDatetime
    position: int
    citizen: CitizenRef
    booked_by_staff: str | None = None


class BookingRejected(Rejection):
    """``reason``: full, closed, past, duplicate, limit_reached, unknown_workshop, unknown_resource,
    slot_taken, not_open_yet, cancelled_workshop."""

    TYPE = "booking.rejected"
    workshop_id: str | None = None
    resource_id: str | None = None
    citizen_id: str


class BookingCancelled(Event):
    TYPE = "booking.cancelled"
    request_id: str
    booking_id: str
    site: str
    workshop_id: str | None = None
    resource_id: str | None = None
    citizen_id: str
    by: CancelledBy
    reason: str
    was: Literal["confirmed", "waitlisted"]


class BookingPromoted(Event):
    """The first person on the waitlist got the seat that was freed."""

    TYPE = "booking.promoted"
    request_id: str
    booking_id: str
    site: str
    workshop_id: str
    starts_at: UtcDatetime
    ends_at: UtcDatetime
    citizen: CitizenRef


class BookingCommandRejected(Rejection):
    TYPE = "booking.command_rejected"


class RequestPending(Event):
    """The request was made here for something another node owns (a site's workshop): it is passed
    on, with the request itself, and decided when the owner sees it; the owner's answer carries the
    same ``request_id``. ``owner_site`` is None when the hub cannot tell (a booking id it never saw):
    the site that knows it answers."""

    TYPE = "booking.request_pending"
    request_id: str
    request_type: str
    owner_site: str | None = None
    detail: str
    request: dict[str, Any] | None = None


class EscrowGrantRequested(Request):
    """Staff at a site set seats aside for the hub to confirm online bookings while the site is offline."""

    TYPE = "booking.escrow_grant_requested"
    workshop_id: Identifier
    seats: int = Field(ge=1, le=500)


class EscrowGranted(Event):
    TYPE = "booking.escrow_granted"
    request_id: str
    workshop_id: str
    site: str
    seats: int  # granted in all so far for this workshop
    starts_at: UtcDatetime
    ends_at: UtcDatetime
