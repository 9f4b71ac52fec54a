"""The repository handlers use, inside the unit of work that also holds the inbox and outbox rows.

Notifications see a few events per booking, so the repository reads and writes row by row; what
matters here is that a decision (a message scheduled or cancelled) commits with the event that
caused it, so a redelivered event decides nothing twice.
"""

import json
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, delete, insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifications.model import BookingView, Channel, Contact, Plan, is_staff, staff_contact
from services.notifications.purposes import PURPOSE_OF_KIND
from services.notifications.tables import (
    activities,
    bookings,
    calls,
    consents,
    contacts,
    deliveries,
    dt,
    erased,
    messages,
    purpose_consents,
    ts,
)
from shared.messaging import UnitOfWork

OPEN_MESSAGE = ("scheduled", "routed")


class NotificationsRepository:
    def __init__(self, conn: AsyncConnection, now: datetime) -> None:
        self._conn = conn
        self._now = now

    async def _upsert(self, table: Any, keys: dict[str, Any], values: dict[str, Any]) -> None:
        where = [table.c[name] == value for name, value in keys.items()]
        result = await self._conn.execute(update(table).where(*where).values(**values))
        if result.rowcount == 0:
            await self._conn.execute(insert(table).values(**keys, **values))

    # --- directory ------------------------------------------------------------------------------
    async def save_contact(self, citizen_id: str, values: dict[str, Any]) -> None:
        await self._upsert(contacts, {"citizen_id": citizen_id}, {**values, "updated_at": ts(self._now)})

    async def set_consent(self, citizen_id: str, channel: str, granted: bool, at: datetime, staff: str | None) -> None:
        values = {"granted": granted, "changed_at": ts(at), "staff_id": staff}
        await self._upsert(consents, {"citizen_id": citizen_id, "channel": channel}, values)

    async def set_purpose_consent(
        self, citizen_id: str, purpose: str, channel: str, granted: bool, at: datetime, staff: str | None
    ) -> None:
        values = {"granted": granted, "changed_at": ts(at), "staff_id": staff}
        keys = {"citizen_id": citizen_id, "purpose": purpose, "channel": channel}
        await self._upsert(purpose_consents, keys, values)

    async def withdraw_purpose(self, citizen_id: str, purpose: str, channel: str | None) -> None:
        """Every channel: what waits for that purpose is cancelled; one channel: re-routed."""
        kinds = tuple(k for k, p in PURPOSE_OF_KIND.items() if p == purpose)
        if channel is None:
            await self.cancel_open("consent_withdrawn", recipient=citizen_id, kinds=kinds)
        else:
            await self.reroute_channel(citizen_id, Channel(channel), kinds)

    async def erase_contact(self, citizen_id: str) -> None:
        await self._conn.execute(delete(purpose_consents).where(purpose_consents.c.citizen_id == citizen_id))
        await self._conn.execute(delete(consents).where(consents.c.citizen_id == citizen_id))
        await self._conn.execute(delete(contacts).where(contacts.c.citizen_id == citizen_id))
        await self._conn.execute(delete(calls).where(calls.c.citizen_id == citizen_id))

    # --- activities and bookings ------------------------------------------------------------------
    async def save_activity(self, activity_id: str, values: dict[str, Any]) -> None:
        await self._upsert(activities, {"activity_id": activity_id}, values)

    async def booking(self, booking_id: str) -> BookingView | None:
        row = (await self._conn.execute(select(bookings).where(bookings.c.booking_id == booking_id))).first()
        return booking_from(row) if row is not None else None

    async def bookings_of(self, activity_id: str, statuses: tuple[str, ...]) -> list[BookingView]:
        rows = await self._conn.execute(
            select(bookings).where(bookings.c.activity_id == activity_id, bookings.c.status.in_(statuses))
        )
        return [booking_from(r) for r in rows]

    async def save_booking(self, b: BookingView) -> None:
        await self._upsert(bookings, {"booking_id": b.booking_id}, {
            "citizen_id": b.citizen_id, "site": b.site, "activity_id": b.activity_id,
            "starts_at": ts(b.starts_at), "ends_at": ts(b.ends_at), "status": b.status,
            "ics_sequence": b.ics_sequence, "in_calendar": b.in_calendar,
        })

    # --- messages ---------------------------------------------------------------------------------
    async def schedule(self, *plans: Plan) -> None:
        """Insert the messages not decided yet: the key makes a second decision a no-op. A message
        cancelled before it went out (a workshop moved away and back) is decided again."""
        plans = await self._not_erased(plans)
        if not plans:
            return
        known = dict((await self._conn.execute(
            select(messages.c.message_key, messages.c.state).where(messages.c.message_key.in_([p.key for p in plans]))
        )).all())
        now = ts(self._now)
        for p in plans:
            values = {
                "due_at": ts(p.due_at), "not_after": ts(p.not_after) if p.not_after else None, "state": "scheduled",
                "reason": None, "context": json.dumps(p.context), "updated_at": now,
            }
            if p.key not in known:
                await self._conn.execute(insert(messages).values(
                    message_key=p.key, kind=str(p.kind), subject_id=p.subject_id, recipient=p.recipient,
                    site=p.site, booking_id=p.booking_id, created_at=now, **values,
                ))
            elif known[p.key] == "cancelled":
                await self._conn.execute(update(messages).where(messages.c.message_key == p.key).values(**values))

    async def _not_erased(self, plans: tuple[Plan, ...]) -> tuple[Plan, ...]:
        """An erased person without a new card gets nothing decided (a late booking event, a replay)."""
        recipients = {p.recipient for p in plans}
        gone = set((await self._conn.execute(select(erased.c.citizen_id).where(
            erased.c.citizen_id.in_(recipients),
            erased.c.citizen_id.not_in(select(contacts.c.citizen_id).where(contacts.c.citizen_id.in_(recipients))),
        ))).scalars())
        return tuple(p for p in plans if p.recipient not in gone)

    async def cancel_open(
        self, reason: str, *, booking_id: str | None = None, recipient: str | None = None,
        kinds: tuple[str, ...] | None = None,
    ) -> int:
        """Cancel what was not sent yet for a booking (or a recipient); a send already in flight ends."""
        where: list[ColumnElement[bool]] = [messages.c.state.in_(OPEN_MESSAGE)]
        if kinds is not None:
            where.append(messages.c.kind.in_(kinds))
        if booking_id is not None:
            where.append(messages.c.booking_id == booking_id)
        if recipient is not None:
            where.append(messages.c.recipient == recipient)
        ids = list((await self._conn.execute(select(messages.c.id).where(*where))).scalars())
        if not ids:
            return 0
        await self._conn.execute(
            update(deliveries).where(deliveries.c.message_id.in_(ids), deliveries.c.state == "pending")
            .values(state="cancelled", last_error=reason)
        )
        in_flight = select(deliveries.c.message_id).where(
            deliveries.c.message_id.in_(ids), deliveries.c.state == "sending"
        )
        result = await self._conn.execute(
            update(messages).where(messages.c.id.in_(ids), messages.c.id.not_in(in_flight))
            .values(state="cancelled", reason=reason, updated_at=ts(self._now))
        )
        return result.rowcount

    async def reroute_channel(self, citizen_id: str, channel: Channel, kinds: tuple[str, ...] | None = None) -> None:
        """Consent withdrawn: what waits on that channel goes to the next one, at once."""
        where = [
            messages.c.recipient == citizen_id, deliveries.c.channel == str(channel), deliveries.c.state == "pending",
        ]
        if kinds is not None:
            where.append(messages.c.kind.in_(kinds))
        ids = list((await self._conn.execute(
            select(deliveries.c.message_id).join(messages, messages.c.id == deliveries.c.message_id).where(*where)
        )).scalars())
        if not ids:
            return
        await self._conn.execute(
            update(deliveries).where(
                deliveries.c.message_id.in_(ids), deliveries.c.channel == str(channel), deliveries.c.state == "pending"
            ).values(state="cancelled", last_error="consent_withdrawn")
        )
        await self._conn.execute(
            update(messages).where(messages.c.id.in_(ids), messages.c.state == "routed")
            .values(state="scheduled", updated_at=ts(self._now))
        )


def booking_from(r: Any) -> BookingView:
    return BookingView(
        r.booking_id, r.citizen_id, r.site, r.activity_id, dt(r.starts_at), dt(r.ends_at), r.status,
        r.ics_sequence, bool(r.in_calendar),
    )


async def load_contact(conn: AsyncConnection, recipient: str) -> Contact | None:
    row = (await conn.execute(select(contacts).where(contacts.c.citizen_id == recipient))).first()
    if row is None:
        return None
    granted = await conn.execute(
        select(consents.c.channel, consents.c.granted).where(consents.c.citizen_id == recipient)
    )
    p = purpose_consents.c
    purposes = await conn.execute(select(p.purpose, p.channel, p.granted).where(p.citizen_id == recipient))
    return Contact(
        row.citizen_id, row.email, row.phone, Channel(row.preferred_channel) if row.preferred_channel else None,
        row.language, bool(row.call_if_unreachable), row.display_name,
        {Channel(c): bool(g) for c, g in granted}, {(pp, ch): bool(g) for pp, ch, g in purposes},
    )


class NotificationsUnitOfWork(UnitOfWork):
    repo: NotificationsRepository

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.reminder_offsets: list[timedelta] = [timedelta(hours=24), timedelta(hours=2)]  # see configure_uow

    async def __aenter__(self) -> "NotificationsUnitOfWork":
        await super().__aenter__()
        self.repo = NotificationsRepository(self.conn, self.now())
        return self


async def load_recipient(conn: AsyncConnection, recipient: str, staff_emails: dict[str, str]) -> Contact | None:
    if is_staff(recipient):
        return staff_contact(recipient, staff_emails.get(recipient.split(":", 1)[1]))
    return await load_contact(conn, recipient)
