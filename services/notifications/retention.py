"""Retention (DESIGN §7): what was delivered or given up is kept ``retention_days`` for support and
audit, then deleted with its delivery log; done call-list entries likewise. Counts live on in metrics."""

from datetime import timedelta

from sqlalchemy import delete, select

from services.notifications.tables import attempts, calls, deliveries, messages, ts
from shared.service import RunningService

FINAL = ("sent", "cancelled", "expired", "withheld", "undeliverable")


async def purge_old(service: RunningService, keep: timedelta) -> int:
    cutoff = ts(service.now() - keep)
    async with service.engine.begin() as conn:
        old = select(messages.c.id).where(messages.c.state.in_(FINAL), messages.c.updated_at < cutoff)
        old_deliveries = select(deliveries.c.id).where(deliveries.c.message_id.in_(old))
        await conn.execute(delete(calls).where(calls.c.delivery_id.in_(old_deliveries)))
        await conn.execute(delete(attempts).where(attempts.c.delivery_id.in_(old_deliveries)))
        await conn.execute(delete(deliveries).where(deliveries.c.message_id.in_(old)))
        gone = await conn.execute(delete(messages).where(messages.c.id.in_(old)))
        await conn.execute(delete(calls).where(calls.c.done_at < cutoff))
    return gone.rowcount
