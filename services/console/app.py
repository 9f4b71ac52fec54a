"""The console's wiring: its read model as a service, and its web server on the node's event loop."""

from aiohttp import web as aioweb
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from services.console import equipment, screens, tables, web
from services.console.desk import Desk
from services.console.projections import HANDLERS
from services.console.settings import ConsoleSettings
from services.console.web import Console
from services.public.app import read_model
from services.public.client import RequestClient
from services.public.store import ReadModelUnitOfWork
from services.public.webserver import WebServer
from shared.service import RunningService, ServiceDefinition

NAME = "console"


def definition(settings: ConsoleSettings) -> ServiceDefinition:
    return ServiceDefinition(
        name=NAME, metadata=tables.metadata, tables=tables.messaging, uow_class=ReadModelUnitOfWork,
        handlers=HANDLERS,
    )


def make_app(console: Console) -> aioweb.Application:
    app = aioweb.Application(middlewares=[web.login_required], client_max_size=256 * 1024)
    app[web.CONSOLE] = console
    app.add_routes([*web.ROUTES, *screens.ROUTES, *equipment.ROUTES])
    return app


class ConsoleServer:
    """Started by the node next to the ``console`` service (``service.settings`` a ``ConsoleSettings``):
    ``await server.start()``, ``server.url``, ``await server.stop()``."""

    def __init__(self, service: RunningService, nc: NATS, js: JetStreamContext) -> None:
        settings = service.settings
        assert isinstance(settings, ConsoleSettings)
        self.client = RequestClient(nc, js, settings.site, read_model(service), timeout=settings.request_timeout)
        console = Console(settings, service.engine, Desk(self.client, service.engine), service.now, nc, js)
        self.web = WebServer(make_app(console), settings.console_host, settings.console_port)

    @property
    def url(self) -> str:
        return self.web.url

    async def start(self) -> None:
        await self.client.start()
        await self.web.start()

    async def stop(self) -> None:
        await self.web.stop()
        await self.client.stop()
