"""The public page's wiring: its read model as a service, and its web server on the node's loop."""

from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from services.public import tables
from services.public.client import ReadModel, RequestClient
from services.public.handlers import HANDLERS
from services.public.settings import PublicSettings
from services.public.store import ReadModelUnitOfWork
from services.public.web import PublicPages
from services.public.webserver import WebServer
from shared.service import RunningService, ServiceDefinition

NAME = "public"


def definition(settings: PublicSettings) -> ServiceDefinition:
    return ServiceDefinition(
        name=NAME, metadata=tables.metadata, tables=tables.messaging, uow_class=ReadModelUnitOfWork,
        handlers=HANDLERS,
    )


def read_model(service: RunningService) -> ReadModel:
    d = service.definition
    return ReadModel(service.engine, d.tables, d.name, frozenset(cls.TYPE for cls in d.handlers))


class PublicServer:
    """``maillage up`` starts one per node next to the ``public`` service (``service.settings`` must be
    ``PublicSettings``): ``await server.start()``, ``server.url``, ``await server.stop()``."""

    def __init__(self, service: RunningService, nc: NATS, js: JetStreamContext) -> None:
        settings = service.settings
        assert isinstance(settings, PublicSettings)
        self.client = RequestClient(nc, js, settings.site, read_model(service), timeout=settings.request_timeout)
        self.pages = PublicPages(settings, service.engine, self.client, service.now)
        self.web = WebServer(self.pages.app(), settings.public_host, settings.public_port)

    @property
    def url(self) -> str:
        return self.web.url

    async def start(self) -> None:
        await self.client.start()
        await self.web.start()

    async def stop(self) -> None:
        await self.web.stop()
        await self.client.stop()
