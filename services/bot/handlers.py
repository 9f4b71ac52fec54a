"""The bot's handlers: the catalogue, and bot-channel messages queued for delivery to a known chat."""

from typing import Any

from sqlalchemy import select

from services.bot import tables as t
from services.public.catalogue import Handler, catalogue_handlers
from shared.contract import notification as nt
from shared.contract.envelope import Event


async def bot_message(e: nt.BotMessage, uow: Any) -> None:
    """Queued once per delivery key, for the person's chat (or the site's staff group): a message for someone
    who does not use this bot is none of its business."""
    if e.audience == "staff":
        chat_id = uow.staff_chats.get(e.site)
    else:
        chat_id = await uow.conn.scalar(select(t.chats.c.chat_id).where(
            t.chats.c.citizen_id == e.citizen_id, t.chats.c.active == "y"))
    if chat_id is None:
        return
    known = await uow.conn.scalar(select(t.deliveries.c.delivery_key).where(
        t.deliveries.c.delivery_key == e.delivery_key))
    if known is None:
        await uow.conn.execute(t.deliveries.insert().values(
            delivery_key=e.delivery_key, chat_id=chat_id, kind=e.kind, text=e.text,
            received_at=uow.now().timestamp(), sent_at=None, attempts=0))


HANDLERS: dict[type[Event], Handler] = {**catalogue_handlers(t.catalogue), nt.BotMessage: bot_message}
