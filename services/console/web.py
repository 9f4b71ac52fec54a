"""The console's web app: login, the session cookie and CSRF check, and the shared page plumbing.
The screens themselves are in ``screens.py`` (sessions and people) and ``equipment.py`` (loans,
transfers, conflicts, sync)."""

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from sqlalchemy.ext.asyncio import AsyncEngine

from services.console import staff as accounts
from services.console.desk import Desk, Outcome
from services.console.guard import Forbidden
from services.console.settings import ConsoleSettings
from services.public.pages import environment, render

COOKIE = "maillage_console"
OPEN = ("/connexion",)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Console:
    settings: ConsoleSettings
    engine: AsyncEngine
    desk: Desk
    now: Callable[[], datetime]
    nc: NATS
    js: JetStreamContext

    def __post_init__(self) -> None:
        self.zone = ZoneInfo(self.settings.timezone)
        self.env = environment("services.console", self.settings.timezone)
        self.env.globals["site_name"] = self.settings.site_name

    def page(self, request: web.Request, template: str, status: int = 200, **context: Any) -> web.Response:
        session: accounts.LoginSession | None = request.get(SESSION)
        return render(self.env, template, status=status, session=session, staff=session.staff if session else None,
                      csrf=session.csrf if session else "", flash=session.flash if session else None,
                      path=request.path, node=self.settings.site, **context)

    async def done(self, request: web.Request, action: Awaitable[Outcome], back: str) -> web.Response:
        """Run a desk action, keep its outcome for the next page, and go back there (POST → redirect → GET)."""
        try:
            outcome = await action
        except Forbidden as no:
            outcome = Outcome("refus", no.detail)
            if no.elsewhere:  # that page belongs to another site: show the refusal on one's own
                back = "/jour"
        async with self.engine.begin() as conn:
            await accounts.set_flash(conn, request[SESSION].token, outcome.kind, outcome.text)
        raise web.HTTPSeeOther(back)


CONSOLE = web.AppKey("console", Console)
SESSION = web.RequestKey("session", accounts.LoginSession)


def console_of(request: web.Request) -> Console:
    return request.app[CONSOLE]


@web.middleware
async def login_required(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path in OPEN:
        return await handler(request)
    console = console_of(request)
    token = request.cookies.get(COOKIE, "")
    session = None
    if token:
        async with console.engine.begin() as conn:
            session = await accounts.session_of(conn, token, console.now())
    if session is None:
        raise web.HTTPSeeOther("/connexion")
    if request.method == "POST":
        form = await request.post()
        if form.get("csrf") != session.csrf:  # SameSite=Strict already; this covers older browsers
            raise web.HTTPForbidden(text="Formulaire expiré : rechargez la page.")
    request[SESSION] = session
    return await handler(request)


async def login_page(request: web.Request) -> web.Response:
    return console_of(request).page(request, "login.html.j2", error="", login="")


async def login(request: web.Request) -> web.Response:
    console = console_of(request)
    form = await request.post()
    login_name, password = str(form.get("identifiant", "")).strip(), str(form.get("mot_de_passe", ""))
    async with console.engine.begin() as conn:
        staff = await accounts.authenticate(conn, login_name, password)
        token = await accounts.open_session(conn, staff, console.now(), console.settings.console_session_hours) \
            if staff else None
    if token is None:
        return console.page(request, "login.html.j2", status=401, login=login_name,
                            error="Identifiant ou mot de passe incorrect.")
    response = web.HTTPSeeOther("/jour")
    response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/",
                        secure=console.settings.console_secure_cookie)
    raise response


async def logout(request: web.Request) -> web.Response:
    console = console_of(request)
    async with console.engine.begin() as conn:
        await accounts.close_session(conn, request[SESSION].token)
    response = web.HTTPSeeOther("/connexion")
    response.del_cookie(COOKIE, path="/")
    raise response


async def home(_request: web.Request) -> web.Response:
    raise web.HTTPSeeOther("/jour")


ROUTES = [web.get("/connexion", login_page), web.post("/connexion", login), web.post("/deconnexion", logout),
          web.get("/", home)]
