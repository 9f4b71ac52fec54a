"""Personal-data events: erasure decided at the hub, applied on every node; consent per purpose.

None of these carries a name or a contact detail: only the pseudonymous ``citizen_id``.

- ``privacy.citizen_erased`` is published by the hub only (``maillage privacy erase``, or the hub's
  retention job). It reaches the hub's services through its own stream and every site through
  ``HUB_TO_<SITE>`` (``tl.hub.privacy.>``), so a site offline at the time applies it when it
  reconnects. Consumers ignore one from any other origin: erasure is decided at the hub (DESIGN §4).
- ``privacy.erasure_applied`` is each node's receipt, so the hub can say where it is done.
- ``privacy.purpose_consent_changed``: consent for one purpose (and one channel, or all), given or
  withdrawn, when and by which staff member; effective at once in notifications.
"""

from typing import Literal

from pydantic import Field

from shared.contract.directory import CITIZEN_ID, ContactChannel
from shared.contract.envelope import Event, Slug, UtcDatetime

ErasureReason = Literal["request", "retention"]
# booking_messages: confirmations, waitlist, cancellations, moved sessions, loan problems;
# reminders: before a session or a loan's due date; newsletters: news of the place (opt-in only).
Purpose = Literal["booking_messages", "reminders", "newsletters"]
PURPOSES: tuple[Purpose, ...] = ("booking_messages", "reminders", "newsletters")


class CitizenErased(Event):
    """The person is forgotten everywhere: directory rows, queued messages, stream copies of their
    contact card. ``occurred_at`` is the erasure's date; what a node registered before it is stale
    and never recreates the profile, even when it arrives later (an offline site) or is replayed."""

    TYPE = "privacy.citizen_erased"
    citizen_id: str = Field(min_length=6, max_length=64, pattern=CITIZEN_ID)
    reason: ErasureReason = "request"
    staff_id: str | None = Field(default=None, max_length=64)


class ErasureApplied(Event):
    """One node has applied an erasure: its directory and its streams no longer hold the person."""

    TYPE = "privacy.erasure_applied"
    citizen_id: str = Field(min_length=6, max_length=64, pattern=CITIZEN_ID)
    erasure_id: str  # the event_id of the privacy.citizen_erased applied
    node: Slug
    stream_messages_erased: int = Field(ge=0)


class PurposeConsentChanged(Event):
    """Consent for one purpose on one channel (``channel`` None: every channel), given or withdrawn."""

    TYPE = "privacy.purpose_consent_changed"
    citizen_id: str = Field(min_length=6, max_length=64, pattern=CITIZEN_ID)
    purpose: Purpose
    channel: ContactChannel | None = None
    granted: bool
    changed_at: UtcDatetime
    staff_id: str | None = Field(default=None, max_length=64)
