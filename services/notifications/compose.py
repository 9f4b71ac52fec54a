"""Everything one delivery needs to go out: the message, the person, the place — and the text."""

import json
from dataclasses import dataclass
from datetime import datetime
from email.utils import parseaddr
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifications.channels import Attachment, Outgoing
from services.notifications.ics import CalendarEvent, to_ics
from services.notifications.model import BookingView, Channel, Contact, MessageView
from services.notifications.render import Renderer, parse_day, parse_when
from services.notifications.settings import NotificationSettings, Place, place_of
from services.notifications.store import NotificationsRepository, load_recipient
from services.notifications.tables import activities, dt, messages

NO_ACTIVITY = {"title": "", "room": None, "kind": None}


@dataclass
class Delivery:
    """A claimed delivery with what it is about, loaded just before sending."""

    id: int
    attempt: int
    channel: Channel
    key: str
    message_id: int
    kind: str = ""
    subject_id: str = ""
    recipient: str = ""
    site: str = ""
    message: MessageView | None = None
    contact: Contact | None = None
    booking: BookingView | None = None
    activity: dict[str, Any] | None = None

    @property
    def context(self) -> dict[str, Any]:
        return self.message.context if self.message else {}


async def load(conn: AsyncConnection, d: Delivery, staff_emails: dict[str, str], now: datetime) -> None:
    row = (await conn.execute(select(messages).where(messages.c.id == d.message_id))).one()
    d.kind, d.subject_id, d.recipient, d.site = row.kind, row.subject_id, row.recipient, row.site
    context = json.loads(row.context)
    d.message = MessageView(row.kind, row.booking_id, dt(row.not_after) if row.not_after else None, context)
    d.contact = await load_recipient(conn, row.recipient, staff_emails)
    repo = NotificationsRepository(conn, now)
    if row.booking_id:
        d.booking = await repo.booking(row.booking_id)
    activity_id = context.get("activity_id")
    if activity_id:
        found = (await conn.execute(select(activities).where(activities.c.activity_id == activity_id))).first()
        d.activity = {"title": found.title, "room": found.room, "kind": found.kind} if found else None


def variables(d: Delivery) -> dict[str, Any]:
    context = d.context
    values: dict[str, Any] = {
        **context,
        "name": d.contact.display_name if d.contact else None,
        "place": place_of(d.site),
        "activity": d.activity or NO_ACTIVITY,
        "starts_at": parse_when(context.get("starts_at")),
        "ends_at": parse_when(context.get("ends_at")),
        "calendar": d.channel == Channel.email and "ics" in context,
    }
    if "due_date" in context:
        values["due_date"] = parse_day(context["due_date"])
    return values


def address_of(d: Delivery) -> str:
    c = d.contact
    if c is None:
        return ""
    if d.channel == Channel.email:
        return c.email or ""
    if d.channel in (Channel.sms, Channel.phone_call):
        return c.phone or ""
    return d.recipient


def outgoing(d: Delivery, renderer: Renderer, settings: NotificationSettings, now: datetime) -> Outgoing:
    values = variables(d)
    rendered = renderer.render(d.kind, d.channel, values)
    attachment = None
    if values["calendar"]:
        attachment = _calendar(d, values, settings, now)
    return Outgoing(d.key, d.kind, d.recipient, address_of(d), rendered.subject, rendered.text, now, attachment)


def _calendar(d: Delivery, values: dict[str, Any], settings: NotificationSettings, now: datetime) -> Attachment:
    context = d.context
    place: Place = values["place"]
    activity = values["activity"]
    title = activity["title"] or "Rendez-vous"
    location = ", ".join(x for x in (activity["room"], place.name, place.address) if x)
    event = CalendarEvent(
        uid=f"{context['booking_id']}@{settings.mail_domain}", sequence=int(context["ics_sequence"]),
        method=context["ics"], starts_at=values["starts_at"], ends_at=values["ends_at"], stamp=now,
        summary=f"{title} — {place.name}", location=location,
        description=f"Pour prévenir d'un empêchement : {place.phone}.", organizer_name=place.name,
        organizer_email=_bare(settings.mail_from), attendee_email=d.contact.email if d.contact else None,
    )
    name = "annulation.ics" if event.method == "CANCEL" else "rendez-vous.ics"
    return Attachment(name, to_ics(event), event.method)


def _bare(address: str) -> str:
    return parseaddr(address)[1] or "ne-pas-repondre@maillage.example"
