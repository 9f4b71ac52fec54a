"""Booking's unit of work: the repository's changes, inbox and outbox in one transaction."""

from collections.abc import Callable
from datetime import datetime
from types import TracebackType

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.booking.model import Rules
from services.booking.repository import BookingRepository, WorkshopCache
from services.booking.tables import bookings, messaging, metadata, ts, workshops
from shared.contract.envelope import Event
from shared.messaging import UnitOfWork

__all__ = ["BookingUnitOfWork", "business_figures", "messaging", "metadata"]


class BookingUnitOfWork(UnitOfWork):
    repo: BookingRepository
    # Set by the service's wiring (app.py); one cache per running service, never shared.
    rules: Rules
    cache: WorkshopCache
    decides: Callable[[str], bool]  # does this node decide for that site's workshops and resources?
    # A node in a network cannot tell a mistyped booking id from another node's: it passes it on.
    routes_unknown_bookings: bool = False
    lone_hub: bool = True  # no site nodes: this node decides every request, whatever its origin
    forwarded: bool = False  # deciding a request the hub passed on (see routes.passed_on)

    async def __aenter__(self) -> "BookingUnitOfWork":
        await super().__aenter__()
        self.repo = BookingRepository(self.conn, self.now(), self.cache)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if not self.committed:
            # Handlers may have changed cached workshops before the failure: forget them all.
            self.cache.clear()
        await super().__aexit__(exc_type, exc, tb)

    async def preload(self, events: list[Event]) -> None:
        await self.repo.preload(events)

    async def save_state(self) -> None:
        await self.repo.save()

    async def commit(self) -> None:
        await super().commit()
        self.repo.remember()


async def business_figures(conn: AsyncConnection, now: datetime) -> dict[str, int]:
    """Figures for the business gauges: upcoming sessions, bookings by status, waitlist length."""
    rows = await conn.execute(
        select(bookings.c.status, func.count()).where(bookings.c.starts_at > ts(now)).group_by(bookings.c.status)
    )
    figures = {f"bookings_{status}": count for status, count in rows}
    figures["workshops_upcoming"] = await conn.scalar(
        select(func.count()).select_from(workshops).where(
            workshops.c.starts_at > ts(now), workshops.c.status == "scheduled"
        )
    ) or 0
    return figures
