"""Attendance events: check-ins, walk-ins, no-shows, sessions held, individual accompaniments."""

from datetime import date

from pydantic import Field, model_validator

from shared.contract.citizen import CitizenRef
from shared.contract.envelope import Event, Identifier, Rejection, Request, Slug, UtcDatetime
from shared.contract.national import (
    AdminTheme,
    Autonomy,
    Equipment,
    Level,
    PlaceType,
    Redirection,
    Theme,
)

# --- requests ---------------------------------------------------------------------------------

class CheckInRequested(Request):
    TYPE = "attendance.check_in_requested"
    booking_id: Identifier
    staff_id: str | None = None


class WalkInRequested(Request):
    TYPE = "attendance.walk_in_requested"
    workshop_id: Identifier
    citizen: CitizenRef
    staff_id: str | None = None
    override_capacity: bool = False


class SessionCloseRequested(Request):
    """Staff (or the end-of-session sweep) closes a session: unchecked bookings become no-shows."""

    TYPE = "attendance.session_close_requested"
    workshop_id: Identifier
    staff_id: str | None = None


class AccompanimentSubmitted(Request):
    """A médiateur helped someone one-to-one (CRA ``individuel``)."""

    TYPE = "attendance.accompaniment_submitted"
    record_id: Identifier
    site: Slug
    staff_id: str | None = None
    citizen: CitizenRef
    day: date
    duration_minutes: int = Field(ge=1, le=480)
    themes: list[Theme] = Field(min_length=1)
    admin_themes: list[AdminTheme] = Field(default_factory=list)
    place_type: PlaceType = PlaceType.lieu_activite
    equipment: list[Equipment] = Field(default_factory=lambda: [Equipment.aucun])
    autonomy: Autonomy | None = None
    first_time: bool = False
    redirected_to: Redirection | None = None

    @model_validator(mode="after")
    def _admin_needs_theme(self):
        if self.admin_themes and Theme.aide_aux_demarches_administratives not in self.themes:
            raise ValueError("admin_themes exige le thème aide_aux_demarches_administratives")
        return self


# --- outcomes ---------------------------------------------------------------------------------

class CheckedIn(Event):
    TYPE = "attendance.checked_in"
    request_id: str
    booking_id: str
    workshop_id: str
    site: str
    citizen: CitizenRef
    walk_in: bool
    starts_at: UtcDatetime


class NoShow(Event):
    TYPE = "attendance.no_show"
    request_id: str
    booking_id: str
    workshop_id: str
    site: str
    citizen: CitizenRef
    starts_at: UtcDatetime


class SessionClosed(Event):
    """One workshop session held: the collective activity record (CRA ``collectif``) comes from it."""

    TYPE = "attendance.session_closed"
    request_id: str
    workshop_id: str
    site: str
    title: str
    themes: list[Theme]
    level: Level
    starts_at: UtcDatetime
    duration_minutes: int
    capacity: int
    booked: int
    attended: int
    walk_ins: int
    no_shows: int


class AccompanimentRecorded(Event):
    TYPE = "attendance.accompaniment_recorded"
    request_id: str
    record_id: str
    site: str
    staff_id: str | None = None
    citizen: CitizenRef
    day: date
    duration_minutes: int
    themes: list[Theme]
    admin_themes: list[AdminTheme]
    place_type: PlaceType
    equipment: list[Equipment]
    autonomy: Autonomy | None = None
    first_time: bool
    redirected_to: Redirection | None = None


class AttendanceCommandRejected(Rejection):
    TYPE = "attendance.command_rejected"
