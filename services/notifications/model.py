"""What to tell whom, when, and on which channel — plain Python rules, no I/O.

A *message* is one thing to tell one recipient (kind + subject + recipient). It is routed, when it
falls due, to one *delivery* per channel tried: the preferred channel first, then the others the
person consented to, then the staff call list. The idempotency key of a delivery is derived from
(kind, subject, recipient, channel) only, so deciding twice never sends twice.
"""

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from services.notifications.purposes import ALL_CHANNELS, DEFAULT_PURPOSES, PURPOSE_OF_KIND

PARIS = ZoneInfo("Europe/Paris")


class Channel(StrEnum):
    email = "email"
    sms = "sms"
    bot = "bot"
    phone_call = "phone_call"


class Kind(StrEnum):
    booking_confirmed = "booking_confirmed"
    booking_waitlisted = "booking_waitlisted"
    booking_promoted = "booking_promoted"
    booking_cancelled = "booking_cancelled"
    workshop_cancelled = "workshop_cancelled"
    workshop_rescheduled = "workshop_rescheduled"
    reminder = "reminder"
    loan_due_soon = "loan_due_soon"
    loan_overdue = "loan_overdue"
    transfer_not_received = "transfer_not_received"
    conflict_detected = "conflict_detected"


STAFF_KINDS = frozenset({Kind.transfer_not_received, Kind.conflict_detected})

# Channels whose "send" is a write in our own transaction (an outbox event, a call-list row):
# exactly once by construction. The others talk to a provider and need the idempotency key.
TRANSACTIONAL = frozenset({Channel.bot, Channel.phone_call})


def staff_recipient(site: str) -> str:
    return f"staff:{site}"


def is_staff(recipient: str) -> bool:
    return recipient.startswith("staff:")


@dataclass
class Contact:
    citizen_id: str
    email: str | None = None
    phone: str | None = None
    preferred: Channel | None = None
    language: str = "fr"
    call_if_unreachable: bool = False
    display_name: str | None = None
    consents: dict[Channel, bool] = field(default_factory=dict)
    # (purpose, channel or "*") → granted; what is not there follows DEFAULT_PURPOSES
    purposes: dict[tuple[str, str], bool] = field(default_factory=dict)

    def allows(self, kind: str | None, channel: Channel) -> bool:
        """The person's consent for the purpose of ``kind`` on ``channel`` (a channel-specific
        choice wins over one for every channel)."""
        purpose = PURPOSE_OF_KIND.get(kind) if kind else None
        if purpose is None:
            return True
        for key in ((purpose, str(channel)), (purpose, ALL_CHANNELS)):
            if key in self.purposes:
                return self.purposes[key]
        return DEFAULT_PURPOSES.get(purpose, False)

    def reachable_on(self, channel: Channel) -> bool:
        """Consent given and something to reach the person with."""
        if not self.consents.get(channel, False):
            return False
        if channel == Channel.email:
            return bool(self.email)
        if channel == Channel.sms:
            return bool(self.phone)
        return True  # bot: the front-end knows the citizen id; phone_call: staff know how

    def channel_order(self, default_order: list[Channel], kind: str | None = None) -> list[Channel]:
        """Preferred first, then the node's order; only channels this node can use and the person
        accepts — for the purpose of ``kind`` too, when given."""
        first = [self.preferred] if self.preferred in default_order else []
        order = first + [c for c in default_order if c != self.preferred]
        return [c for c in order if self.reachable_on(c) and self.allows(kind, c)]


def next_channel(
    contact: Contact | None, tried: set[Channel], default_order: list[Channel], kind: str | None = None
) -> Channel | None:
    """The next channel to try, or None: nothing left. Staff may ask for the call list as a last
    resort even for someone who consented to nothing (it is a task for staff, not a message sent) —
    but not for a purpose the person refused."""
    if contact is None:
        return None
    for channel in contact.channel_order(default_order, kind):
        if channel not in tried:
            return channel
    if contact.call_if_unreachable and Channel.phone_call not in tried and contact.allows(kind, Channel.phone_call):
        return Channel.phone_call
    return None


def staff_contact(recipient: str, email: str | None) -> "Contact":
    """A site's staff: their e-mail if the node has one, and always the staff bot channel."""
    return Contact(recipient, email=email, preferred=Channel.email,
                   consents={Channel.email: bool(email), Channel.bot: True})


@dataclass(frozen=True)
class QuietHours:
    """No message on some channels at night (local time); a message due then waits for the end."""

    start: time = time(21, 0)
    end: time = time(8, 0)
    zone: ZoneInfo = PARIS
    channels: frozenset[Channel] = frozenset({Channel.sms})

    def _inside(self, local: time) -> bool:
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end  # spans midnight

    def release_at(self, channel: Channel, at: datetime) -> datetime | None:
        """When a message on ``channel`` due ``at`` may go; None if it may go now."""
        if channel not in self.channels or self.start == self.end:
            return None
        local = at.astimezone(self.zone)
        if not self._inside(local.time().replace(tzinfo=None)):
            return None
        end = datetime.combine(local.date(), self.end, self.zone)
        if end <= local:
            end = datetime.combine(local.date() + timedelta(days=1), self.end, self.zone)
        return end.astimezone(UTC)


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4
    base: timedelta = timedelta(seconds=30)
    cap: timedelta = timedelta(hours=1)

    def delay(self, attempt: int) -> timedelta:
        return min(self.cap, self.base * 2 ** max(0, attempt - 1))

    def exhausted(self, attempt: int) -> bool:
        return attempt >= self.max_attempts


@dataclass(frozen=True)
class Policy:
    """How this node delivers: channel order, quiet hours, retries, and the sender's batch shape."""

    order: list[Channel]
    quiet: QuietHours = QuietHours()
    retry: RetryPolicy = RetryPolicy()
    lease: timedelta = timedelta(minutes=2)
    batch: int = 50
    concurrency: int = 4
    staff_emails: dict[str, str] = field(default_factory=dict)
    contact_grace: timedelta = timedelta(minutes=10)  # wait this long for a missing contact card


def call_reason(contact: Contact | None, failed_before: bool) -> str:
    if failed_before:
        return "fallback"
    if contact is not None and contact.reachable_on(Channel.phone_call):
        return "consented"
    return "no_channel"


@dataclass(frozen=True)
class Plan:
    """One message decided: tell ``recipient`` about ``subject_id``, from ``due_at``, never after
    ``not_after`` (a workshop's start)."""

    kind: Kind
    subject_id: str
    recipient: str
    site: str
    due_at: datetime
    not_after: datetime | None = None
    booking_id: str | None = None
    context: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return message_key(self.kind, self.subject_id, self.recipient)


def message_key(kind: str, subject_id: str, recipient: str) -> str:
    return f"{kind}|{subject_id}|{recipient}"


def delivery_key(message_key: str, channel: str) -> str:
    """The idempotency key sent to providers (and the Message-ID of an e-mail): stable forever."""
    return hashlib.sha256(f"{message_key}|{channel}".encode()).hexdigest()[:40]


@dataclass
class BookingView:
    """What notifications knows of a booking, from booking events."""

    booking_id: str
    citizen_id: str
    site: str
    activity_id: str | None
    starts_at: datetime
    ends_at: datetime
    status: str  # confirmed, waitlisted, cancelled, attended
    ics_sequence: int = 0
    in_calendar: bool = False  # an invitation (.ics REQUEST) was decided for it

    def booking_context(self) -> dict[str, Any]:
        return {
            "booking_id": self.booking_id, "activity_id": self.activity_id,
            "starts_at": self.starts_at.isoformat(), "ends_at": self.ends_at.isoformat(),
        }


def reminder_plans(booking: BookingView, now: datetime, offsets: list[timedelta]) -> list[Plan]:
    """Reminders still ahead; one already due (a booking made late) is skipped, the confirmation says it all."""
    plans = []
    for offset in sorted(offsets, reverse=True):
        due = booking.starts_at - offset
        if due <= now:
            continue
        hours = offset.total_seconds() / 3600
        plans.append(Plan(
            Kind.reminder, f"{booking.booking_id}@{booking.starts_at:%Y%m%dT%H%M}Z/{hours:g}h", booking.citizen_id,
            booking.site, due, booking.starts_at, booking.booking_id,
            {**booking.booking_context(), "offset_hours": hours},
        ))
    return plans


def invitation_plan(kind: Kind, booking: BookingView, now: datetime, extra: dict[str, Any] | None = None) -> Plan:
    """Confirmed, promoted or moved: the message carries a calendar invitation (a new SEQUENCE)."""
    booking.in_calendar = True
    booking.ics_sequence += 1
    subject = booking.booking_id
    if kind == Kind.workshop_rescheduled:
        subject = f"{booking.booking_id}#{booking.ics_sequence}"
    context = {**booking.booking_context(), "ics": "REQUEST", "ics_sequence": booking.ics_sequence, **(extra or {})}
    return Plan(kind, subject, booking.citizen_id, booking.site, now, booking.starts_at, booking.booking_id, context)


def cancellation_plan(kind: Kind, booking: BookingView, now: datetime, by: str, was: str) -> Plan:
    context: dict[str, Any] = {**booking.booking_context(), "by": by, "was": was}
    if booking.in_calendar:
        booking.ics_sequence += 1  # higher than any invitation, so calendars apply the CANCEL
        context.update(ics="CANCEL", ics_sequence=booking.ics_sequence)
    return Plan(kind, booking.booking_id, booking.citizen_id, booking.site, now, booking.starts_at, None, context)


def cancellation_kind(reason: str) -> Kind | None:
    """Which message a cancellation deserves; None: none (a session closed without a seat freed)."""
    if reason == "workshop_cancelled":
        return Kind.workshop_cancelled
    if reason == "session_closed":
        return None
    return Kind.booking_cancelled


@dataclass(frozen=True)
class MessageView:
    kind: str
    booking_id: str | None
    not_after: datetime | None
    context: dict[str, Any]


def stale_reason(message: MessageView, booking: BookingView | None, now: datetime) -> str | None:
    """Checked again just before sending: never after the start, never for a cancelled booking."""
    if message.not_after is not None and now >= message.not_after:
        return "event_started"
    if message.kind != Kind.reminder:
        return None
    if booking is None or booking.status != "confirmed":
        return "booking_not_confirmed"
    if booking.starts_at.isoformat() != message.context.get("starts_at"):
        return "rescheduled"
    return None
