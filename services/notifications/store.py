"""The unit of work handlers use: the repository's changes, the inbox and the outbox rows, in one
transaction, so a decision (a message scheduled or cancelled) commits with the event that caused it
and a redelivered event decides nothing twice. The repository (repository.py) reads what a batch
touches in a few queries and writes it back in a few statements.
"""

from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifications.model import Channel, Contact, is_staff, staff_contact
from services.notifications.repository import NotificationsRepository
from services.notifications.tables import consents, contacts, purpose_consents
from shared.contract.envelope import Event
from shared.messaging import UnitOfWork

__all__ = ["NotificationsRepository", "NotificationsUnitOfWork", "load_contact", "load_recipient"]


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

    async def preload(self, events: list[Event]) -> None:
        await self.repo.preload(events)

    async def save_state(self) -> None:
        await self.repo.save()


async def load_recipient(conn: AsyncConnection, recipient: str, staff_emails: dict[str, str]) -> Contact | None:
    if is_staff(recipient):
        return staff_contact(recipient, staff_emails.get(recipient.split(":", 1)[1]))
    return await load_contact(conn, recipient)
