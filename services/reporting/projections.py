"""What each event says, as facts for the read models (one small function per event type).

The same functions serve the live consumer and ``rebuild``: there is no other way into the read
models. Every handler is ``project``: turn the event into facts, merge them (see model.py).
"""

from collections.abc import Callable, Mapping
from typing import Any
from zoneinfo import ZoneInfo

from services.reporting.cra import check_accompaniment
from services.reporting.equipment import Asset, Loan
from services.reporting.model import (
    ATTENDED,
    NO_SHOW,
    Accompaniment,
    Attendance,
    BookingFact,
    Citizen,
    Notice,
    Person,
    Session,
    Workshop,
    local_day,
    version_of,
)
from services.reporting.store import ReportingUnitOfWork
from services.reporting.tables import Rejected
from shared.bus import Handler
from shared.contract import attendance as att
from shared.contract import booking as bk
from shared.contract import inventory as inv
from shared.contract import notification as notif
from shared.contract.citizen import CitizenRef
from shared.contract.envelope import Event

Projection = Callable[[Any, ZoneInfo], list[Any]]


def person(ref: CitizenRef) -> Person:
    return Person(ref.citizen_id, ref.age_bracket, ref.commune_insee, ref.status, ref.gender)


def v(event: Event) -> str:
    return version_of(event.hlc, event.event_id)


def citizen(event: Event, ref: CitizenRef | None) -> list[Citizen]:
    return [] if ref is None else [Citizen(person(ref), v(event))]


# --- booking ------------------------------------------------------------------------------------

def workshop_scheduled(e: bk.WorkshopScheduled, zone: ZoneInfo) -> list[Any]:
    return [Workshop(e.workshop_id, e.site, e.title, tuple(e.themes), e.level, e.capacity,
                     local_day(e.starts_at, zone), v(e))]


def workshop_rescheduled(e: bk.WorkshopRescheduled, zone: ZoneInfo) -> list[Any]:
    return [Workshop(e.workshop_id, e.site, day=local_day(e.starts_at, zone), times_version=v(e))]


def workshop_cancelled(e: bk.WorkshopCancelled, zone: ZoneInfo) -> list[Any]:
    return [Workshop(e.workshop_id, e.site, cancelled=True)]


def booking_confirmed(e: bk.BookingConfirmed, zone: ZoneInfo) -> list[Any]:
    return [BookingFact(e.booking_id, e.site, e.citizen.citizen_id, e.workshop_id, e.resource_id,
                        local_day(e.starts_at, zone), v(e), confirmed=True), *citizen(e, e.citizen)]


def booking_waitlisted(e: bk.BookingWaitlisted, zone: ZoneInfo) -> list[Any]:
    return [BookingFact(e.booking_id, e.site, e.citizen.citizen_id, e.workshop_id, None,
                        local_day(e.starts_at, zone), v(e), waitlisted=True), *citizen(e, e.citizen)]


def booking_promoted(e: bk.BookingPromoted, zone: ZoneInfo) -> list[Any]:
    return [BookingFact(e.booking_id, e.site, e.citizen.citizen_id, e.workshop_id, None,
                        local_day(e.starts_at, zone), v(e), promoted=True), *citizen(e, e.citizen)]


def booking_cancelled(e: bk.BookingCancelled, zone: ZoneInfo) -> list[Any]:
    return [BookingFact(e.booking_id, e.site, e.citizen_id, e.workshop_id, e.resource_id,
                        cancel_reason=e.reason, cancel_version=v(e))]


# --- attendance ---------------------------------------------------------------------------------

def checked_in(e: att.CheckedIn, zone: ZoneInfo) -> list[Any]:
    seat = Attendance(e.booking_id, e.workshop_id, e.site, person(e.citizen), ATTENDED, e.walk_in,
                      local_day(e.starts_at, zone), v(e))
    return [seat, *citizen(e, e.citizen)]


def no_show(e: att.NoShow, zone: ZoneInfo) -> list[Any]:
    seat = Attendance(e.booking_id, e.workshop_id, e.site, person(e.citizen), NO_SHOW, False,
                      local_day(e.starts_at, zone), v(e))
    return [seat, *citizen(e, e.citizen)]


def session_closed(e: att.SessionClosed, zone: ZoneInfo) -> list[Any]:
    return [Session(e.workshop_id, e.site, e.title, tuple(e.themes), e.level, local_day(e.starts_at, zone),
                    e.duration_minutes, e.capacity, e.booked, e.attended, e.walk_ins, e.no_shows, v(e))]


def accompaniment_recorded(e: att.AccompanimentRecorded, zone: ZoneInfo) -> list[Any]:
    refused = check_accompaniment(e.themes, e.admin_themes, e.equipment, e.duration_minutes)
    if refused is not None:
        reason, detail = refused
        return [Rejected(e.record_id, e.TYPE, e.site, e.day.isoformat(), reason, detail, v(e))]
    record = Accompaniment(
        e.record_id, e.site, e.staff_id, person(e.citizen), e.day.isoformat(), e.duration_minutes,
        tuple(e.themes), tuple(e.admin_themes), e.place_type, tuple(e.equipment), e.autonomy, e.first_time,
        e.redirected_to, v(e),
    )
    return [record, *citizen(e, e.citizen)]


# --- inventory ----------------------------------------------------------------------------------

def asset_described(e: inv.AssetRegistered | inv.AssetEdited, zone: ZoneInfo) -> list[Any]:
    return [Asset(e.asset_tag, e.kind, e.funding_source, v(e), e.site, v(e), e.status, v(e))]


def asset_retired(e: inv.AssetRetired, zone: ZoneInfo) -> list[Any]:
    return [Asset(e.asset_tag, site=e.site, site_version=v(e), status=e.status, status_version=v(e))]


def transfer_dispatched(e: inv.TransferDispatched, zone: ZoneInfo) -> list[Any]:
    return [Asset(tag, status="in_transit", status_version=v(e)) for tag in e.asset_tags]


def transfer_received(e: inv.TransferReceived, zone: ZoneInfo) -> list[Any]:
    return [Asset(tag, site=e.to_site, site_version=v(e), status="available", status_version=v(e))
            for tag in e.asset_tags]


def loan_checked_out(e: inv.LoanCheckedOut, zone: ZoneInfo) -> list[Any]:
    loan = Loan(e.loan_id, e.asset_tag, e.kind, e.site, e.mode, e.citizen.citizen_id if e.citizen else None,
                local_day(e.started_at, zone), e.due_date.isoformat(), v(e))
    return [loan, Asset(e.asset_tag, status="on_loan", status_version=v(e)), *citizen(e, e.citizen)]


def loan_renewed(e: inv.LoanRenewed, zone: ZoneInfo) -> list[Any]:
    return [Loan(e.loan_id, e.asset_tag, site=e.site, due_day=e.due_date.isoformat(), due_version=v(e))]


def loan_returned(e: inv.LoanReturned, zone: ZoneInfo) -> list[Any]:
    loan = Loan(e.loan_id, e.asset_tag, site=e.site, mode=e.mode,
                citizen_id=e.citizen.citizen_id if e.citizen else None,
                returned_day=local_day(e.returned_at, zone), returned_version=v(e))
    return [loan, Asset(e.asset_tag, status="available", status_version=v(e))]


def repair_sent(e: inv.SentToRepair, zone: ZoneInfo) -> list[Any]:
    return [Asset(e.asset_tag, status="in_maintenance", status_version=v(e))]


def repair_back(e: inv.BackFromRepair, zone: ZoneInfo) -> list[Any]:
    return [Asset(e.asset_tag, status="available", status_version=v(e))]


# --- notifications ------------------------------------------------------------------------------

def bot_message(e: notif.BotMessage, zone: ZoneInfo) -> list[Any]:
    return [Notice(e.delivery_key, e.kind, e.site, e.audience, local_day(e.occurred_at, zone), v(e))]


PROJECTIONS: Mapping[type[Event], Projection] = {
    bk.WorkshopScheduled: workshop_scheduled,
    bk.WorkshopRescheduled: workshop_rescheduled,
    bk.WorkshopCancelled: workshop_cancelled,
    bk.BookingConfirmed: booking_confirmed,
    bk.BookingWaitlisted: booking_waitlisted,
    bk.BookingPromoted: booking_promoted,
    bk.BookingCancelled: booking_cancelled,
    att.CheckedIn: checked_in,
    att.NoShow: no_show,
    att.SessionClosed: session_closed,
    att.AccompanimentRecorded: accompaniment_recorded,
    inv.AssetRegistered: asset_described,
    inv.AssetEdited: asset_described,
    inv.AssetRetired: asset_retired,
    inv.TransferDispatched: transfer_dispatched,
    inv.TransferReceived: transfer_received,
    inv.LoanCheckedOut: loan_checked_out,
    inv.LoanRenewed: loan_renewed,
    inv.LoanReturned: loan_returned,
    inv.SentToRepair: repair_sent,
    inv.BackFromRepair: repair_back,
    notif.BotMessage: bot_message,
}


def facts_of(event: Event, zone: ZoneInfo) -> list[Any]:
    return PROJECTIONS[type(event)](event, zone)


async def project(event: Event, uow: ReportingUnitOfWork) -> None:
    await uow.models.apply(uow.facts(event))


HANDLERS: Mapping[type[Event], Handler] = dict.fromkeys(PROJECTIONS, project)
