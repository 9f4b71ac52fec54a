"""The bot's Telegram side: long polling for conversations and a loop delivering what is due.

Imported only when a token is set (services/public/frontends.py): aiogram alone costs ~3 s of start-up
and tens of megabytes on every node.
"""

import asyncio
import contextlib
import logging

from aiogram import Dispatcher
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from services.bot.conversation import Conversation
from services.bot.delivery import deliver_pending
from services.bot.settings import BotSettings
from services.bot.telegram import make_bot, make_router
from services.public.app import read_model
from services.public.client import RequestClient
from shared.service import RunningService

log = logging.getLogger(__name__)


class BotFrontEnd:
    """Started by the node next to the ``bot`` service when ``MAILLAGE_BOT_TOKEN`` is set."""

    def __init__(self, service: RunningService, nc: NATS, js: JetStreamContext) -> None:
        settings = service.settings
        assert isinstance(settings, BotSettings)
        self.settings = settings
        self.service = service
        self.client = RequestClient(nc, js, settings.site, read_model(service), timeout=settings.request_timeout)
        self.talk = Conversation(settings, service.engine, self.client, service.now)
        self.bot = make_bot(settings)
        self.dispatcher = Dispatcher()
        self.dispatcher.include_router(make_router(self.talk))
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def url(self) -> str:
        return self.settings.bot_api_url or "https://api.telegram.org"

    async def start(self) -> None:
        await self.client.start()
        self._tasks = [
            asyncio.create_task(self.dispatcher.start_polling(
                self.bot, handle_signals=False, close_bot_session=False, polling_timeout=10), name="bot-polling"),
            asyncio.create_task(self._deliver_forever(), name="bot-delivery"),
        ]

    async def deliver_once(self) -> int:
        async def send(chat_id: int, text: str) -> object:
            return await self.bot.send_message(chat_id, text)

        return await deliver_pending(self.service.engine, send, self.service.now)

    async def _deliver_forever(self) -> None:
        while True:
            try:
                await self.deliver_once()
            except Exception:
                log.exception("bot: delivery pass failed")
            await asyncio.sleep(self.settings.bot_delivery_seconds)

    async def stop(self) -> None:
        with contextlib.suppress(RuntimeError):  # polling had not started yet
            await self.dispatcher.stop_polling()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self.bot.session.close()
        await self.client.stop()
