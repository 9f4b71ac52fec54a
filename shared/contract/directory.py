"""Directory events: contact details and consent, only towards the node that needs them (DESIGN §7).

These are the only events that carry contact details. They are published on the node whose
notifications service uses them (``tl.<that node>.directory.*``) and are not sourced anywhere else;
every other event names a citizen by the pseudonymous ``citizen_id`` only.
"""

from typing import Literal

from pydantic import Field

from shared.contract.envelope import Event, Slug, UtcDatetime

# ``phone_call``: staff may phone the person (the call list); ``bot``: a chat front-end knows them.
ContactChannel = Literal["email", "sms", "bot", "phone_call"]
CITIZEN_ID = r"^[A-Za-z0-9_-]+$"
PHONE = r"^\+?[0-9 .-]{6,20}$"
# Deliberately loose: the SMTP server is the judge; this only catches obvious typos.
EMAIL = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class ContactRegistered(Event):
    """A contact card created or replaced as a whole (the latest one wins for this node).

    ``consents`` are the channels the person agreed to when registering; later changes come as
    ``directory.consent_changed``. ``call_if_unreachable``: staff asked to be told (on the call
    list) when nobody can reach the person otherwise, e.g. someone with no phone of their own.
    """

    TYPE = "directory.contact_registered"
    citizen_id: str = Field(min_length=6, max_length=64, pattern=CITIZEN_ID)
    site: Slug
    display_name: str | None = Field(default=None, max_length=120)
    email: str | None = Field(default=None, max_length=254, pattern=EMAIL)
    phone: str | None = Field(default=None, pattern=PHONE)
    preferred_channel: ContactChannel | None = None
    language: str = Field(default="fr", pattern=r"^[a-z]{2}$")
    consents: list[ContactChannel] = Field(default_factory=list)
    call_if_unreachable: bool = False
    staff_id: str | None = None


class ConsentChanged(Event):
    """Consent for one channel granted or withdrawn, when and by whom (the person or a staff member
    on their behalf). A withdrawal takes effect at once: nothing more is sent on that channel."""

    TYPE = "directory.consent_changed"
    citizen_id: str = Field(min_length=6, max_length=64, pattern=CITIZEN_ID)
    channel: ContactChannel
    granted: bool
    changed_at: UtcDatetime
    staff_id: str | None = None


class ContactErased(Event):
    """The right to erasure: the contact card and everything addressed with it is deleted."""

    TYPE = "directory.contact_erased"
    citizen_id: str = Field(min_length=6, max_length=64, pattern=CITIZEN_ID)
    request_id: str | None = None
    staff_id: str | None = None
