"""Routing: when a message falls due, choose the channel it goes out on (or why it does not).

Messages wait here durably (a reminder decided weeks ahead survives restarts); the channel is
chosen only when the message is due, so a consent given or withdrawn meanwhile is respected.
Quiet hours delay a delivery to their end, unless that would be after the event: then the next
channel is tried instead (a reminder after the start is worse than none).
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifications import metrics
from services.notifications.model import Channel, Contact, Policy, delivery_key, next_channel
from services.notifications.store import load_recipient
from services.notifications.tables import deliveries, dt, messages, ts
from shared.service import RunningService

CONTACT_RETRY = timedelta(minutes=1)


@dataclass(frozen=True)
class Routed:
    site: str
    kind: str
    channel: str
    outcome: str  # routed, deferred, expired, withheld, undeliverable


async def route_due(service: RunningService, policy: Policy) -> int:
    now = service.now()
    outcomes: list[Routed] = []
    async with service.unit_of_work() as uow:
        rows = (await uow.conn.execute(
            select(messages).where(messages.c.state == "scheduled", messages.c.due_at <= ts(now))
            .order_by(messages.c.due_at, messages.c.id).limit(policy.batch)
        )).all()
        for row in rows:
            outcomes.append(await route_message(uow.conn, row, now, policy))
        await uow.commit()
    for o in outcomes:
        if o.outcome not in ("routed", "waiting"):
            metrics.count(o.site, o.channel, o.kind, o.outcome)
    return len(rows)


async def route_message(conn: AsyncConnection, row: Any, now: datetime, policy: Policy) -> Routed:
    if row.not_after is not None and ts(now) >= row.not_after:
        return await _close(conn, row, "expired", "event_started", now)
    contact = await load_recipient(conn, row.recipient, policy.staff_emails)
    if contact is None and ts(now) < row.created_at + policy.contact_grace.total_seconds():
        # The contact card may be a moment behind the booking (events from two producers).
        return await _postpone(conn, row, now + CONTACT_RETRY)
    previous = dict((await conn.execute(
        select(deliveries.c.channel, deliveries.c.state).where(deliveries.c.message_id == row.id)
    )).all())
    # A channel whose delivery was cancelled before any provider call may be used again.
    tried = {Channel(c) for c, state in previous.items() if state != "cancelled"}
    channel, release, skipped = _choose(contact, tried, row, now, policy)
    if channel is None:
        if skipped:  # only quiet-hours channels were left, and their end is after the event's start
            return await _close(conn, row, "expired", "quiet_hours_until_start", now)
        if contact is None:
            return await _close(conn, row, "withheld", "no_contact", now)
        if not tried:
            return await _close(conn, row, "withheld", "no_consent", now)
        return await _close(conn, row, "undeliverable", "all_channels_failed", now)
    values = {"state": "pending", "next_attempt_at": ts(release or now), "deferred": release is not None}
    if str(channel) in previous:  # same idempotency key: the row is reopened, never duplicated
        await conn.execute(update(deliveries).where(
            deliveries.c.message_id == row.id, deliveries.c.channel == str(channel)
        ).values(**values, last_error=None))
    else:
        await conn.execute(insert(deliveries).values(
            message_id=row.id, channel=str(channel), delivery_key=delivery_key(row.message_key, str(channel)),
            attempts=0, created_at=ts(now), **values,
        ))
    await conn.execute(update(messages).where(messages.c.id == row.id).values(state="routed", updated_at=ts(now)))
    return Routed(row.site, row.kind, str(channel), "deferred" if release else "routed")


def _choose(
    contact: Contact | None, tried: set[Channel], row: Any, now: datetime, policy: Policy
) -> tuple[Channel | None, datetime | None, set[Channel]]:
    skipped: set[Channel] = set()
    not_after = dt(row.not_after) if row.not_after is not None else None
    while (channel := next_channel(contact, tried | skipped, policy.order, row.kind)) is not None:
        release = policy.quiet.release_at(channel, now)
        if release is None or not_after is None or release < not_after:
            return channel, release, skipped
        skipped.add(channel)
    return None, None, skipped


async def _postpone(conn: AsyncConnection, row: Any, until: datetime) -> Routed:
    await conn.execute(update(messages).where(messages.c.id == row.id).values(due_at=ts(until)))
    return Routed(row.site, row.kind, "none", "waiting")


async def _close(conn: AsyncConnection, row: Any, state: str, reason: str, now: datetime) -> Routed:
    await conn.execute(
        update(messages).where(messages.c.id == row.id).values(state=state, reason=reason, updated_at=ts(now))
    )
    return Routed(row.site, row.kind, "none", state)
