"""Starting a node's front-ends next to their read-model services: the console and the public page (web
servers), the bot (only with a token). ``maillage.node.Node`` calls ``start_front_ends`` after its services
started and ``stop_front_ends`` before stopping them; ``describe`` gives the lines ``maillage up`` prints."""

import contextlib
from collections.abc import Callable
from typing import Protocol

from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from services.bot.settings import BotSettings
from services.console.app import ConsoleServer
from services.public.app import PublicServer
from shared.service import RunningService


class FrontEnd(Protocol):
    @property
    def url(self) -> str: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...


def bot_front_end(service: RunningService, nc: NATS, js: JetStreamContext) -> FrontEnd:
    from services.bot.frontend import BotFrontEnd  # aiogram: ~3 s of start-up, only where a token is set

    return BotFrontEnd(service, nc, js)


LABELS = {"console": "Console d'accueil", "public": "Page publique", "bot": "Bot Telegram (API)"}
SERVERS: dict[str, Callable[[RunningService, NATS, JetStreamContext], FrontEnd]] = {
    "console": ConsoleServer, "public": PublicServer, "bot": bot_front_end}


async def start_front_ends(running: list[RunningService], nc: NATS, js: JetStreamContext) -> dict[str, FrontEnd]:
    started: dict[str, FrontEnd] = {}
    try:
        for service in running:
            name = service.definition.name
            if name not in SERVERS:
                continue
            if isinstance(service.settings, BotSettings) and service.settings.bot_token is None:
                continue  # the bot's read model runs; nothing is sent to Telegram without a token
            front: FrontEnd = SERVERS[name](service, nc, js)
            await front.start()
            started[name] = front
    except BaseException:
        await stop_front_ends(started)
        raise
    return started


async def stop_front_ends(started: dict[str, FrontEnd]) -> None:
    for front in reversed(list(started.values())):
        with contextlib.suppress(Exception):
            await front.stop()


def describe(started: dict[str, FrontEnd]) -> list[str]:
    return [f"  {LABELS[name]} : {front.url}/" for name, front in started.items()]
