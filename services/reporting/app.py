"""Reporting's wiring: settings → projections → bus, the business gauges, the dashboard server."""

from datetime import datetime
from typing import Any

from prometheus_client import Gauge
from sqlalchemy.ext.asyncio import AsyncEngine

from services.reporting import indicators, queries, tables
from services.reporting.dashboard import DashboardServer
from services.reporting.model import Period
from services.reporting.projections import HANDLERS, facts_of
from services.reporting.settings import ReportingSettings
from services.reporting.store import ReportingUnitOfWork
from shared.service import RunningService, ServiceDefinition

NAME = "reporting"
NETWORK = "network"  # the ``site`` label of network-wide gauges

SESSIONS_WEEK = Gauge(
    "maillage_reporting_sessions_week",
    "Workshop sessions held this week (Monday-Sunday, network time zone); site=network for all",
    ["service", "site"],
)
ATTENDANCE_RATE = Gauge(
    "maillage_reporting_attendance_rate",
    "This month: booked seats checked in / booked seats of the sessions held (0-1, walk-ins excluded)",
    ["service", "site"],
)
PEOPLE_MONTH = Gauge(
    "maillage_reporting_people_month", "Distinct people with a visit (check-in or accompaniment) this month",
    ["service", "site"],
)


def definition(settings: ReportingSettings) -> ServiceDefinition:
    zone = settings.zone

    def configure(uow: Any) -> None:
        uow.zone = zone
        uow.facts_of = facts_of

    async def gauges(service: RunningService) -> None:
        await refresh_gauges(service.engine, settings, service.now())

    return ServiceDefinition(
        name=NAME,
        metadata=tables.metadata,
        tables=tables.messaging,
        uow_class=ReportingUnitOfWork,
        handlers=HANDLERS,
        configure_uow=configure,
        jobs=[(settings.gauges_period_seconds, gauges)],
    )


def dashboard(service: RunningService) -> DashboardServer:
    """The dashboard of a running reporting service: same database, same clock. Start/stop it with the node."""
    settings = service.settings
    assert isinstance(settings, ReportingSettings), "the reporting service runs with ReportingSettings"
    return DashboardServer(service.engine, settings, service.now)


async def refresh_gauges(engine: AsyncEngine, settings: ReportingSettings, now: datetime) -> None:
    today = now.astimezone(settings.zone).date()
    month, week = Period.month(today.year, today.month), Period.week_of(today)
    span = Period(min(month.start, week.start), max(month.end, week.end))
    async with engine.connect() as conn:
        facts = await queries.load_facts(conn, span)
    sites = sorted({s.slug for s in settings.network.sites} | {s.site for s in facts.sessions})
    opts = settings.options(now)
    for site in [None, *sites]:
        label = {"service": NAME, "site": site or NETWORK}
        this_month = indicators.compute(facts, month, settings.territory, site, opts)
        this_week = indicators.compute(facts, week, settings.territory, site, opts)
        SESSIONS_WEEK.labels(**label).set(this_week.sessions_held)
        PEOPLE_MONTH.labels(**label).set(this_month.people)
        ATTENDANCE_RATE.labels(**label).set(this_month.attendance_rate or 0.0)
