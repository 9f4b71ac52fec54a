"""Privacy rules in plain Python: who counts as inactive, what is stale after an erasure, which events
say a person was active, and which ones may carry personal details in a stream. No I/O."""

import calendar
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shared.contract.envelope import Event

# Facts that show the person did something (or staff did it with them). System-made facts (a loan
# falling due, a no-show marked at closing) are not activity: they would keep people forever.
ACTIVITY_TYPES = frozenset({
    "booking.confirmed", "booking.waitlisted", "booking.promoted", "booking.cancelled", "booking.rejected",
    "attendance.checked_in", "attendance.accompaniment_recorded",
    "inventory.loan_checked_out", "inventory.loan_renewed", "inventory.loan_returned",
    "directory.contact_registered", "directory.consent_changed", "privacy.purpose_consent_changed",
})
# Events that may carry a name or a contact detail, and so are erased from streams with the person:
# the contact card itself, and a bot message (its text greets the person by name).
PERSONAL_TYPES = ("directory.contact_registered", "notification.bot_message")


def months_before(moment: datetime, months: int) -> datetime:
    """The same instant ``months`` calendar months earlier (the 31st falls back to the month's end)."""
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass(frozen=True)
class Person:
    citizen_id: str
    registered_at: float | None  # None: no directory profile on this node
    last_activity_at: float


def inactive(people: Iterable[Person], cutoff: datetime) -> list[str]:
    """People with a profile here and no activity since ``cutoff``: to anonymise."""
    limit = cutoff.timestamp()
    return sorted(
        p.citizen_id for p in people
        if p.registered_at is not None and max(p.registered_at, p.last_activity_at) < limit
    )


def is_stale(occurred_at: float, erased_at: float | None) -> bool:
    """Made before the person was erased (a late arrival or a replay): never taken in again. A card
    registered after the erasure is a new, freely given registration."""
    return erased_at is not None and occurred_at <= erased_at


def citizen_of(event: Event) -> str | None:
    citizen = getattr(event, "citizen", None)
    if citizen is not None:
        return str(citizen.citizen_id)
    value = getattr(event, "citizen_id", None)
    return str(value) if value else None


def names_person(body: dict[str, Any], citizen_id: str, before: float) -> bool:
    """A decoded stream message about ``citizen_id``, made no later than ``before``."""
    if body.get("citizen_id") != citizen_id:
        return False
    try:
        occurred = datetime.fromisoformat(str(body.get("occurred_at"))).timestamp()
    except ValueError:
        return True  # no usable date: erase rather than keep
    return occurred <= before
