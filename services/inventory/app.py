"""Inventory's wiring: settings → rules, handlers → bus, the deadline schedule and the gauges."""

import hashlib
from datetime import timedelta
from typing import Any

from services.inventory import deadlines, metrics, queries, store
from services.inventory.handlers import FOREIGN_FACTS, HANDLERS
from services.inventory.model import Rules, S
from services.inventory.ownership import Ownership
from services.inventory.settings import InventorySettings
from shared.contract import inventory as inv
from shared.service import RunningService, ServiceDefinition

NAME = "inventory"
GAUGE_PERIOD = 15.0


def rules_from(settings: InventorySettings) -> Rules:
    return Rules(
        known_sites=frozenset(settings.known_sites),
        loan_days=dict(settings.loan_days),
        max_renewals=settings.loan_max_renewals,
        due_soon=timedelta(days=settings.loan_due_soon_days),
        long_overdue=timedelta(days=settings.loan_long_overdue_days),
        transfer_alert=timedelta(days=settings.transfer_alert_days),
        hold_lead=timedelta(hours=settings.reservation_hold_hours),
        timezone=settings.timezone,
    )


def _settings(service: RunningService) -> InventorySettings:
    settings = service.settings
    return settings if isinstance(settings, InventorySettings) else InventorySettings(**settings.model_dump())


def ownership_from(settings: InventorySettings) -> Ownership:
    # A hub knows which sites run their own node (they read its requests); a site decides for itself only.
    return Ownership(settings.site, frozenset(settings.sites) if settings.role == "hub" else frozenset())


def definition(settings: InventorySettings) -> ServiceDefinition:
    rules = rules_from(settings)
    owners = ownership_from(settings)

    def configure(uow: Any) -> None:
        uow.rules = rules
        uow.owners = owners

    return ServiceDefinition(
        name=NAME,
        metadata=store.metadata,
        tables=store.messaging,
        uow_class=store.InventoryUnitOfWork,
        handlers=HANDLERS,
        configure_uow=configure,
        foreign_facts=FOREIGN_FACTS,
        jobs=[(GAUGE_PERIOD, refresh_gauges), (settings.deadline_check_seconds, check_deadlines)],
    )


async def check_deadlines(service: RunningService) -> None:
    """Due dates, transfers not received, reservation windows. The schedule only *asks* (an event through
    the outbox and the bus, like staff would); the handler decides, so each fact is emitted once."""
    rules = rules_from(_settings(service))
    async with service.engine.connect() as conn:
        keys = await deadlines.deadline_keys(conn, service.now(), rules, service.settings.site)
    if not keys:
        return
    digest = hashlib.sha256("\n".join(keys).encode()).hexdigest()[:24]
    async with service.unit_of_work() as uow:
        uow.emit(inv.DeadlineCheckRequested(request_id=f"deadlines-{digest}"))
        await uow.commit()
    service.relay.wake()


async def refresh_gauges(service: RunningService) -> None:
    async with service.engine.connect() as conn:
        scope = service.settings.site if service.settings.role == "site" else None
        figures = await queries.figures(conn, service.now(), scope)
    node = service.settings.site
    sites = set(_settings(service).known_sites) | {site for site, _ in figures["assets"]}
    for site in sites:
        for status in S:
            count = figures["assets"].get((site, status.value), 0)
            metrics.ASSETS.labels(service=NAME, site=node, holding_site=site, status=status.value).set(count)
    metrics.LOANS.labels(service=NAME, site=node, state="active").set(figures["loans_active"])
    metrics.LOANS.labels(service=NAME, site=node, state="overdue").set(figures["loans_overdue"])
    metrics.IN_TRANSIT.labels(service=NAME, site=node).set(figures["in_transit"])
    metrics.CONFLICTS_OPEN.labels(service=NAME, site=node).set(figures["conflicts_open"])

