"""The bot's wiring: its read model as a service. The Telegram side is in ``frontend.py``."""

from typing import Any

from services.bot import tables
from services.bot.handlers import HANDLERS
from services.bot.settings import BotSettings
from services.public.store import ReadModelUnitOfWork
from shared.service import ServiceDefinition

NAME = "bot"


def definition(settings: BotSettings) -> ServiceDefinition:
    staff_chats = dict(settings.bot_staff_chats)

    def configure(uow: Any) -> None:
        uow.staff_chats = staff_chats

    return ServiceDefinition(
        name=NAME, metadata=tables.metadata, tables=tables.messaging, uow_class=ReadModelUnitOfWork,
        handlers=HANDLERS, configure_uow=configure,
    )
