"""Recording the outcome of one attempt, in one transaction, guarded by the attempt number.

The same transaction writes what the outcome implies: the bot event (outbox) or the call-list
row for channels we own, the message's next state (sent, or back to routing for the next channel)
and, for a permanent failure, a copy to the dead-letter stream ``TL_DLQ`` (through the outbox, so
it is published exactly when the failure is recorded).
"""

import json
import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncConnection

from services.notifications import metrics
from services.notifications.channels import DeliveryError, Outgoing
from services.notifications.channels.bot import bot_message
from services.notifications.channels.call_list import add_call
from services.notifications.compose import Delivery
from services.notifications.model import Channel, Policy, call_reason
from services.notifications.tables import attempts, deliveries, messages, messaging, ts
from shared.service import RunningService
from shared.topology import dead_letter_subject

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Result:
    attempt_outcome: str  # sent, transient, permanent, skipped
    delivery_state: str  # sent, pending (retry), failed, cancelled
    message_state: str | None  # sent, scheduled (route again), cancelled, expired; None: unchanged
    detail: str | None
    metric: str
    retry_at: datetime | None = None
    reference: str | None = None
    dead_letter: bool = False


def failed(error: DeliveryError, d: Delivery, policy: Policy, now: datetime) -> Result:
    """Retry with back-off on this channel, or give it up: the message goes to the next channel."""
    outcome = "permanent" if error.permanent else "transient"
    if not error.permanent and not policy.retry.exhausted(d.attempt):
        retry_at = now + policy.retry.delay(d.attempt)
        return Result(outcome, "pending", None, error.detail, "retried", retry_at=retry_at)
    return Result(outcome, "failed", "scheduled", error.detail, "failed", dead_letter=True)


async def finish(service: RunningService, d: Delivery, result: Result, message: Outgoing | None = None) -> None:
    now = service.now()
    async with service.unit_of_work() as uow:
        if not await _close_delivery(uow.conn, d, result, now):
            log.warning("notifications: delivery %s attempt %d was taken over, outcome dropped", d.id, d.attempt)
            return
        await _record(uow.conn, d, result, now)
        if message is not None and d.channel == Channel.bot:
            uow.emit(bot_message(message, d.subject_id, d.site))
        elif message is not None and d.channel == Channel.phone_call:
            reason = call_reason(d.contact, await _failed_before(uow.conn, d))
            expires = d.message.not_after if d.message else None
            await add_call(uow.conn, d.id, d.site, d.recipient, d.kind, message.text, reason, now, expires)
        if result.dead_letter:
            row = _dead_letter(service.settings.site, d, result, now)
            await uow.conn.execute(insert(messaging.outbox).values(**row))
        await uow.commit()
    if result.dead_letter or d.channel == Channel.bot:
        service.relay.wake()
    metrics.count(d.site, str(d.channel), d.kind, result.metric)


async def _record(conn: AsyncConnection, d: Delivery, result: Result, now: datetime) -> None:
    await conn.execute(update(attempts).where(
        attempts.c.delivery_id == d.id, attempts.c.attempt == d.attempt
    ).values(outcome=result.attempt_outcome, finished_at=ts(now), detail=result.detail))
    if result.message_state is None:
        return
    values: dict[str, object] = {"state": result.message_state, "reason": result.detail, "updated_at": ts(now)}
    if result.message_state == "scheduled":  # back to routing, at once, for the next channel
        values["due_at"] = ts(now)
    await conn.execute(update(messages).where(messages.c.id == d.message_id).values(**values))


async def _close_delivery(conn: AsyncConnection, d: Delivery, result: Result, now: datetime) -> bool:
    values: dict[str, object] = {"state": result.delivery_state, "lease_until": None}
    if result.delivery_state == "sent":
        values.update(sent_at=ts(now), provider_ref=result.reference)
    if result.detail:
        values["last_error"] = result.detail[:1000]
    if result.retry_at is not None:
        values["next_attempt_at"] = ts(result.retry_at)
    done = await conn.execute(update(deliveries).where(
        deliveries.c.id == d.id, deliveries.c.state == "sending", deliveries.c.attempts == d.attempt
    ).values(**values))
    return bool(done.rowcount == 1)


async def _failed_before(conn: AsyncConnection, d: Delivery) -> bool:
    found = await conn.execute(select(deliveries.c.id).where(
        deliveries.c.message_id == d.message_id, deliveries.c.id != d.id, deliveries.c.state == "failed"
    ).limit(1))
    return found.first() is not None


def _dead_letter(site: str, d: Delivery, result: Result, now: datetime) -> dict[str, object]:
    body = {
        "reason": "delivery_failed", "detail": result.detail, "service": "notifications", "site": site,
        "delivery_key": d.key, "channel": str(d.channel), "kind": d.kind, "subject_id": d.subject_id,
        "recipient": d.recipient, "attempts": d.attempt, "permanent": result.attempt_outcome == "permanent",
        "failed_at": now.isoformat(),
    }
    return {
        # Nats-Msg-Id: one copy per delivery even if the relay publishes it twice.
        "event_id": f"dlq-notifications-{d.key}", "subject": dead_letter_subject(site, "notifications"),
        "body": json.dumps(body, ensure_ascii=False).encode(), "created_at": ts(now), "attempts": 0,
    }

