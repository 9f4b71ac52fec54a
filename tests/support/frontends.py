"""The front-ends in-process on a real nats-server and database, next to the services they talk to:
booking and inventory decide, the console / public page / bot read their own projections."""

import asyncio
import contextlib
import html
import itertools
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from sqlalchemy import select

from maillage.node import connect, ensure_topology
from services.bot import app as bot_app
from services.bot.frontend import BotFrontEnd
from services.bot.settings import BotSettings
from services.console import app as console_app
from services.console import cli as console_cli
from services.console.settings import ConsoleSettings
from services.public import app as public_app
from services.public.settings import PublicSettings
from services.public.webserver import WebServer
from shared.service import RunningService, ServiceDefinition
from shared.settings import NodeSettings
from shared.topology import origin_stream_name
from tests.support.booking import BookingHarness, FakeClock, booking_service
from tests.support.bus import eventually
from tests.support.inventory import InventoryHarness, inventory_service

PASSWORD = "mot-de-passe-du-test"


@dataclass
class FrontHarness:
    """One front-end: its read-model service and its web server."""

    nc: NATS
    js: JetStreamContext
    service: RunningService
    server: Any  # ConsoleServer | PublicServer

    @property
    def url(self) -> str:
        return str(self.server.url)

    async def settled(self, timeout: float = 30.0) -> None:
        """Until the read model has taken in everything published so far on this node."""
        stream = origin_stream_name(self.service.settings.site)

        async def probe() -> tuple[int, int]:
            info = await self.js.consumer_info(stream, self.service.definition.name)
            return info.num_pending or 0, info.num_ack_pending or 0

        await eventually(probe, lambda p: p == (0, 0), timeout, f"{self.service.definition.name} to catch up")


@asynccontextmanager
async def front_end(settings: NodeSettings, definition: ServiceDefinition, server_class: Any,
                    clock: Callable[[], datetime]) -> AsyncIterator[FrontHarness]:
    nc, js = await connect(str(settings.nats_url), f"test-{definition.name}")
    await ensure_topology(js, settings, [definition])
    service = RunningService(definition, settings, nc, js, now=clock)
    server: Any = None
    try:
        await service.start()
        server = server_class(service, nc, js)
        await server.start()
        yield FrontHarness(nc, js, service, server)
    finally:
        if server is not None:
            await server.stop()
        await service.stop()
        await nc.close()


def _values(nats_url: str, database_url: str, overrides: dict[str, Any]) -> dict[str, Any]:
    return {"nats_url": nats_url, "database_url": database_url, "metrics_port": 0, "request_timeout": 10.0,
            **overrides}


def console_front(nats_url: str, database_url: str, clock: Callable[[], datetime], **overrides: Any) -> Any:
    settings = ConsoleSettings(**_values(nats_url, database_url, {"console_port": 0, **overrides}))
    return front_end(settings, console_app.definition(settings), console_app.ConsoleServer, clock)


def public_front(nats_url: str, database_url: str, clock: FakeClock, **overrides: Any) -> Any:
    settings = PublicSettings(**_values(nats_url, database_url, {"public_port": 0, **overrides}))
    return front_end(settings, public_app.definition(settings), public_app.PublicServer, clock)


async def add_staff(console: FrontHarness, login: str, site: str, name: str) -> None:
    settings = console.service.settings
    assert isinstance(settings, ConsoleSettings)
    await console_cli.add_staff(login, site, name, PASSWORD, settings)


@dataclass
class Desk:
    booking: BookingHarness
    inventory: InventoryHarness
    console: FrontHarness
    public: FrontHarness
    clock: FakeClock


@asynccontextmanager
async def desk(nats_url: str, database_url: str, clock: FakeClock | None = None) -> AsyncIterator[Desk]:
    """Booking, inventory, the console and the public page on one node (the hub)."""
    clock = clock or FakeClock()
    async with AsyncExitStack() as stack:
        booking = await stack.enter_async_context(booking_service(nats_url, database_url, clock))
        inventory = await stack.enter_async_context(inventory_service(nats_url, database_url, clock))
        console = await stack.enter_async_context(console_front(nats_url, database_url, clock))
        public = await stack.enter_async_context(public_front(nats_url, database_url, clock))
        yield Desk(booking, inventory, console, public, clock)


async def published(js: JetStreamContext, site: str, event_type: str) -> list[dict[str, Any]]:
    from tests.support.bus import of_type, stream_events

    return of_type(await stream_events(js, origin_stream_name(site)), event_type)


async def row_count(harness: FrontHarness, table: Any, *where: Any) -> int:
    async with harness.service.engine.connect() as conn:
        return len((await conn.execute(select(table).where(*where))).all())


# --- a local stand-in of the Telegram Bot API, over real HTTP ---------------------------------------

class BotApiStandIn:
    """Answers aiogram like api.telegram.org would, for the few methods the bot uses. Tests queue what a
    person types or presses (``say``, ``press``) and read what the bot sent (``sent``)."""

    def __init__(self) -> None:
        self.updates: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []
        self.calls: list[str] = []
        self._ids = itertools.count(1)
        self._new = asyncio.Event()
        self._server = WebServer(self._app())

    @property
    def url(self) -> str:
        return self._server.url

    async def start(self) -> None:
        await self._server.start()

    async def stop(self) -> None:
        await self._server.stop()

    def _app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/bot{token}/{method}", self._call)
        return app

    async def _call(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = {k: str(v) for k, v in (await request.post()).items()}
        self.calls.append(method)
        answers = {"getMe": lambda: BOT_USER, "deleteWebhook": lambda: True, "answerCallbackQuery": lambda: True,
                   "sendMessage": lambda: self._sent(params)}
        if method == "getUpdates":
            result: Any = await self._updates(int(params.get("offset", "0") or 0))
        elif method in answers:
            result = answers[method]()
        else:
            return web.json_response({"ok": False, "error_code": 404, "description": f"unknown {method}"}, status=404)
        return web.json_response({"ok": True, "result": result})

    async def _updates(self, offset: int) -> list[dict[str, Any]]:
        fresh = [u for u in self.updates if u["update_id"] >= offset]
        if not fresh:
            self._new.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._new.wait(), 0.5)  # a short long-poll: shutdown stays quick
            fresh = [u for u in self.updates if u["update_id"] >= offset]
        return fresh

    def _sent(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = int(params["chat_id"])
        markup = json.loads(params["reply_markup"]) if params.get("reply_markup") else None
        self.sent.append({"chat_id": chat_id, "text": params["text"], "reply_markup": markup})
        return {"message_id": next(self._ids), "date": int(time.time()), "chat": {"id": chat_id, "type": "private"},
                "from": BOT_USER, "text": params["text"]}

    def _push(self, update: dict[str, Any]) -> None:
        self.updates.append({"update_id": next(self._ids), **update})
        self._new.set()

    def say(self, chat_id: int, text: str, first_name: str = "Odette") -> None:
        person = {"id": chat_id, "is_bot": False, "first_name": first_name}
        entities = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}] if text.startswith("/") \
            else []
        self._push({"message": {"message_id": next(self._ids), "date": int(time.time()), "from": person,
                                "chat": {"id": chat_id, "type": "private", "first_name": first_name},
                                "text": text, "entities": entities}})

    def press(self, chat_id: int, data: str) -> None:
        person = {"id": chat_id, "is_bot": False, "first_name": "Odette"}
        self._push({"callback_query": {
            "id": f"cq-{next(self._ids)}", "from": person, "chat_instance": "ci", "data": data,
            "message": {"message_id": next(self._ids), "date": int(time.time()), "text": "…",
                        "chat": {"id": chat_id, "type": "private"}}}})

    async def reply(self, chat_id: int, contains: str, timeout: float = 30.0) -> dict[str, Any]:
        async def probe() -> list[dict[str, Any]]:
            return [m for m in self.sent if m["chat_id"] == chat_id and contains in m["text"]]

        return (await eventually(probe, bool, timeout, f"a bot message with {contains!r}"))[-1]


BOT_USER = {"id": 424242, "is_bot": True, "first_name": "Maillage", "username": "maillage_test_bot"}
BOT_TOKEN = "424242:TEST-token-for-the-local-stand-in"


def bot_front(nats_url: str, database_url: str, clock: FakeClock, api_url: str, **overrides: Any) -> Any:
    settings = BotSettings(**_values(nats_url, database_url, {
        "bot_token": BOT_TOKEN, "bot_api_url": api_url, "bot_delivery_seconds": 0.1, **overrides}))
    return front_end(settings, bot_app.definition(settings), BotFrontEnd, clock)


# --- a real headless Chromium (Debian's), driven by Playwright; axe-core injected for accessibility ---------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """A Playwright browser on Debian's chromium (never ``playwright install``: no browser download)."""
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            await browser.close()


async def serious_accessibility_issues(page: Any) -> list[str]:
    """axe-core (the copy bundled in the ``axe-playwright-python`` package) run in the page: the serious and
    critical violations, as 'rule: target' lines."""
    from axe_playwright_python.async_playwright import Axe

    results = await Axe().run(page)
    return [f"{v['id']} ({v['impact']}): {node['target']}" for v in results.response["violations"]
            if v["impact"] in ("serious", "critical") for node in v["nodes"]]


async def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    await page.screenshot(path=str(path), full_page=True)
    return path


# --- a plain HTTP client for the console (no browser) ---------------------------------------------

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


class Browser:
    """A tiny HTTP client that keeps the session cookie and sends the page's CSRF token with forms."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def get(self, path: str) -> str:
        async with self.http.get(self.base + path) as response:
            text = html.unescape(await response.text())
        if found := CSRF.search(text):
            self.csrf = found[1]
        return text

    async def post(self, path: str, **form: Any) -> tuple[int, str]:
        async with self.http.post(self.base + path, data={"csrf": self.csrf, **form}) as response:
            text = html.unescape(await response.text())
            status = response.status
        if found := CSRF.search(text):
            self.csrf = found[1]
        return status, text

    async def login(self, login: str) -> str:
        await self.get("/connexion")
        status, text = await self.post("/connexion", identifiant=login, mot_de_passe=PASSWORD)
        assert status == 200, text
        return text

    async def close(self) -> None:
        await self.http.close()
