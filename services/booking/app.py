"""Booking's wiring: settings → rules, handlers → bus, periodic jobs, and the request-reply gateway."""

import logging
from datetime import timedelta
from typing import Any

from faststream.nats import NatsRouter
from nats.js import JetStreamContext
from sqlalchemy import select

from services.booking import store
from services.booking.model import Rules
from services.booking.repository import BookingRepository, WorkshopCache
from services.booking.routes import FOREIGN_FACTS, HANDLERS
from services.booking.tables import workshops
from shared import metrics
from shared.contract import attendance as att
from shared.contract.codec import InvalidEvent, validate_request
from shared.contract.envelope import Request
from shared.db import reading
from shared.requests import OutcomeWaiter, publish_request
from shared.service import RunningService, ServiceDefinition
from shared.settings import BookingSettings

log = logging.getLogger(__name__)
NAME = "booking"


def definition(settings: BookingSettings) -> ServiceDefinition:
    rules = Rules(
        opens_before=timedelta(days=settings.booking_opens_days),
        closes_before=timedelta(hours=settings.booking_closes_hours),
        max_active_bookings=settings.max_active_bookings,
    )
    grace = timedelta(minutes=settings.session_close_grace_minutes)

    cache = WorkshopCache()

    def decides(site: str) -> bool:
        # A site decides for itself; the hub for itself and for any site that runs no node of its own.
        return site == settings.site if settings.role == "site" else site not in settings.sites

    def configure(uow: Any) -> None:
        uow.rules = rules
        uow.cache = cache
        uow.decides = decides
        # In a network, a booking id this node never saw may be another node's: pass it on.
        uow.routes_unknown_bookings = bool(settings.sites) if settings.role == "hub" else bool(settings.hub_url)
        uow.lone_hub = settings.role == "hub" and not settings.sites

    async def close_ended_sessions(service: RunningService) -> None:
        await request_close_of_ended_sessions(service, grace)

    async def warm_up(service: RunningService) -> None:
        # Upcoming workshops with their bookings, loaded before the first request: after a restart,
        # the first request for each workshop would otherwise load it (p99 of the first second: 60 ms).
        async with reading(service.engine) as conn:
            repo = BookingRepository(conn, service.now(), cache)
            await repo.load_upcoming(cache.max_entries // 2)
            repo.remember()

    return ServiceDefinition(
        name=NAME,
        metadata=store.metadata,
        tables=store.messaging,
        uow_class=store.BookingUnitOfWork,
        handlers=HANDLERS,
        configure_uow=configure,
        jobs=[(15.0, refresh_gauges), (60.0, close_ended_sessions)],
        foreign_facts=FOREIGN_FACTS,
        warm_up=warm_up,
    )


async def request_close_of_ended_sessions(service: RunningService, grace: timedelta) -> None:
    """Sessions nobody closed get closed after a grace period, so no-shows are still counted.
    The sweep asks like staff would (through the outbox and the bus), never by side effect."""
    cutoff = (service.now() - grace).timestamp()
    w = workshops
    async with reading(service.engine) as conn:
        ended = (await conn.execute(
            select(w.c.workshop_id).where(w.c.status == "scheduled", w.c.ends_at < cutoff).limit(500)
        )).scalars().all()
    if not ended:
        return
    async with service.unit_of_work() as uow:
        uow.emit(*(att.SessionCloseRequested(request_id=f"auto-close-{wid}", workshop_id=wid) for wid in ended))
        await uow.commit()
    service.relay.wake()


async def refresh_gauges(service: RunningService) -> None:
    async with reading(service.engine) as conn:
        figures = await store.business_figures(conn, service.now())
    site = service.settings.site
    for status in ("confirmed", "waitlisted", "attended"):
        metrics.BOOKINGS.labels(service=NAME, site=site, status=status).set(figures.get(f"bookings_{status}", 0))
    metrics.WAITLIST.labels(service=NAME, site=site).set(figures.get("bookings_waitlisted", 0))
    metrics.WORKSHOPS_UPCOMING.labels(service=NAME, site=site).set(figures["workshops_upcoming"])


def gateway(site: str, js: JetStreamContext, waiter: OutcomeWaiter, timeout: float = 5.0) -> NatsRouter:
    """Request-reply for front-ends that want the answer in one round trip: ``rpc.<site>.<type>``.

    The request still goes through JetStream like any other (so it is durable and de-duplicated);
    the reply is the outcome event, or ``{"status": "pending"}`` if the owner has not answered yet.
    """
    router = NatsRouter(prefix=f"rpc.{site}.")
    for cls in HANDLERS:
        _add_route(router, cls.TYPE, site, js, waiter, timeout)
    return router


def _add_route(
    router: NatsRouter, event_type: str, site: str, js: JetStreamContext, waiter: OutcomeWaiter, timeout: float
) -> None:
    @router.subscriber(event_type, title=f"rpc {event_type}", description=f"Request-reply for {event_type}")
    async def handle(body: dict[str, Any]) -> dict[str, Any]:
        try:
            request = validate_request(event_type, {**body, "origin": site})
        except InvalidEvent as exc:
            return {"status": "invalid", "reason": exc.reason, "detail": exc.detail}
        assert isinstance(request, Request)
        request_id = request.request_id
        waiter.expect(request_id)  # before publishing: the outcome may come back at once
        try:
            await publish_request(js, request)
        except Exception as exc:
            return {"status": "unavailable", "detail": str(exc)}
        answer = await waiter.wait(request_id, timeout)
        if answer is None:
            return {"status": "pending", "request_id": request_id,
                    "detail": "Demande enregistrée, réponse en attente."}
        return {"status": "answered", "event": answer}
