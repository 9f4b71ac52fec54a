"""What ops and staff ask at 3 a.m.: is each site linked, when was it last heard, what is waiting.

At the hub the answer comes from ``TL_NETWORK``'s sources (a source's ``lag`` stays 0 while the
link is down, so health is ``active``/``error``) and, while a site answers, from its ``to-hub``
consumer's pending count. At a site, from its own ``to-hub`` consumer and its copy of the hub.
"""

from dataclasses import dataclass

from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from shared import metrics, network
from shared.settings import NodeSettings
from shared.topology import origin_stream_name

# The sourcing consumers send a heartbeat every 5 s; three missed ones mean the link is down.
SILENT_AFTER = 15.0


@dataclass
class LinkStatus:
    site: str
    up: bool
    last_heard_seconds: float | None  # None: never heard since the hub started
    waiting: int | None  # events produced at the site not yet at the hub (None: unknown now)
    error: str | None

    def line(self) -> str:
        state = "relié" if self.up else "COUPÉ"
        heard = "jamais" if self.last_heard_seconds is None else f"il y a {self.last_heard_seconds:.0f} s"
        waiting = "inconnu (site injoignable)" if self.waiting is None else str(self.waiting)
        tail = f" ; erreur : {self.error}" if self.error else ""
        return f"{self.site:12} {state:6} dernier contact {heard:18} en attente d'envoi : {waiting}{tail}"


async def hub_status(nc: NATS, js: JetStreamContext, settings: NodeSettings) -> list[LinkStatus]:
    info = await js.stream_info(network.NETWORK_STREAM)
    sources = {s.name: s for s in info.sources or []}
    out = []
    for site in sorted(settings.sites):
        source = sources.get(origin_stream_name(site))
        active = None if source is None or source.active is None or source.active < 0 else source.active / 1e9
        error = str(source.error.get("description", source.error)) if source and source.error else None
        up = active is not None and active < SILENT_AFTER and error is None
        waiting = await _pending(nc, site, origin_stream_name(site), network.TO_HUB) if up else None
        out.append(LinkStatus(site, up, active, waiting, error))
    return out


async def site_status(nc: NATS, js: JetStreamContext, settings: NodeSettings) -> LinkStatus:
    pending = (await js.consumer_info(origin_stream_name(settings.site), network.TO_HUB)).num_pending
    info = await js.stream_info(network.hub_copy_stream_name(settings.site))
    source = info.sources[0] if info.sources else None
    active = None if source is None or source.active is None or source.active < 0 else source.active / 1e9
    up = active is not None and active < SILENT_AFTER
    return LinkStatus(network.HUB, up, active, pending, None)


async def _pending(nc: NATS, site: str, stream: str, consumer: str) -> int | None:
    try:
        return (await nc.jetstream(domain=site, timeout=2.0).consumer_info(stream, consumer)).num_pending
    except Exception:  # the link dropped between the two questions
        return None


def publish_metrics(links: list[LinkStatus]) -> None:
    for link in links:
        metrics.SITE_UP.labels(site=link.site).set(1 if link.up else 0)
        if link.last_heard_seconds is not None:
            metrics.SITE_LAST_SEEN_AGE.labels(site=link.site).set(link.last_heard_seconds)
        if link.waiting is not None:
            metrics.SYNC_BACKLOG.labels(site=link.site).set(link.waiting)
