"""Passing queued messages on to Telegram. Marked sent after Telegram accepted them: a crash between the two
repeats that one message (Telegram has no idempotency key); nothing is ever lost."""

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncEngine

from services.bot import tables as t

log = logging.getLogger(__name__)
Send = Callable[[int, str], Awaitable[object]]
MAX_ATTEMPTS = 10


async def deliver_pending(engine: AsyncEngine, send: Send, now: Callable[[], datetime], limit: int = 50) -> int:
    d = t.deliveries
    async with engine.connect() as conn:
        rows = (await conn.execute(select(d).where(d.c.sent_at.is_(None), d.c.attempts < MAX_ATTEMPTS)
                                   .order_by(d.c.received_at).limit(limit))).mappings().all()
    sent = 0
    for row in rows:
        try:
            await send(row["chat_id"], row["text"])
        except Exception as exc:  # Telegram down, chat blocked the bot…: try again later, a few times
            log.warning("bot: message %s not delivered: %s", row["delivery_key"], exc)
            values = {"attempts": row["attempts"] + 1}
        else:
            values = {"attempts": row["attempts"] + 1, "sent_at": now().timestamp()}
            sent += 1
        async with engine.begin() as conn:
            await conn.execute(update(d).where(d.c.delivery_key == row["delivery_key"]).values(**values))
    return sent
