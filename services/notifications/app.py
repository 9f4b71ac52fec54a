"""Notifications' wiring: settings → policy and channels, handlers → bus, the sender job, gauges."""

import logging
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from services.notifications import metrics, tables
from services.notifications.channels import ProviderChannel
from services.notifications.channels.email import SmtpChannel
from services.notifications.channels.sms import HttpSmsGateway
from services.notifications.erasure import compact_after_erasure
from services.notifications.handlers import HANDLERS
from services.notifications.model import Channel, Policy, QuietHours, RetryPolicy
from services.notifications.render import Renderer
from services.notifications.retention import purge_old
from services.notifications.scheduler import route_due
from services.notifications.sender import Sender
from services.notifications.settings import NotificationSettings
from services.notifications.store import NotificationsUnitOfWork
from shared.service import Job, RunningService, ServiceDefinition

log = logging.getLogger(__name__)
NAME = "notifications"
GAUGE_PERIOD = 15.0
PURGE_PERIOD = 6 * 3600.0
COMPACT_PERIOD = 1.0  # an erasure's old pages leave the WAL within a second or so


def policy_of(settings: NotificationSettings) -> Policy:
    configured = {Channel.bot, Channel.phone_call}
    if settings.smtp_host:
        configured.add(Channel.email)
    if settings.sms_gateway_url:
        configured.add(Channel.sms)
    return Policy(
        order=[Channel(c) for c in settings.channel_order if Channel(c) in configured],
        quiet=QuietHours(
            settings.quiet_start, settings.quiet_end, ZoneInfo(settings.timezone),
            frozenset(Channel(c) for c in settings.quiet_channels),
        ),
        retry=RetryPolicy(
            settings.max_attempts_per_channel, timedelta(seconds=settings.retry_base_seconds),
            timedelta(seconds=settings.retry_max_seconds),
        ),
        lease=timedelta(seconds=settings.send_lease_seconds),
        batch=settings.send_batch,
        concurrency=settings.send_concurrency,
        staff_emails=dict(settings.staff_emails),
        contact_grace=timedelta(minutes=settings.contact_grace_minutes),
    )


def providers_of(settings: NotificationSettings) -> dict[Channel, ProviderChannel]:
    providers: dict[Channel, ProviderChannel] = {}
    if settings.smtp_host:
        providers[Channel.email] = SmtpChannel(settings)
    if settings.sms_gateway_url:
        providers[Channel.sms] = HttpSmsGateway(settings)
    return providers


def sender_of(settings: NotificationSettings) -> Sender:
    return Sender(settings, policy_of(settings), Renderer(ZoneInfo(settings.timezone)), providers_of(settings))


def definition(settings: NotificationSettings) -> ServiceDefinition:
    offsets = [timedelta(hours=h) for h in settings.reminder_offsets_hours]
    sender = sender_of(settings)

    def configure(uow: Any) -> None:
        uow.reminder_offsets = offsets

    async def deliver(service: RunningService) -> None:
        await deliver_due(service, sender)

    async def purge(service: RunningService) -> None:
        await purge_old(service, timedelta(days=settings.retention_days))

    jobs: list[tuple[float, Job]] = [(GAUGE_PERIOD, refresh_gauges), (COMPACT_PERIOD, compact)]
    if settings.notifications_jobs:
        jobs += [(settings.send_period_seconds, deliver), (PURGE_PERIOD, purge)]
    return ServiceDefinition(
        name=NAME, metadata=tables.metadata, tables=tables.messaging, uow_class=NotificationsUnitOfWork,
        handlers=HANDLERS, configure_uow=configure, jobs=jobs,
    )


async def compact(service: RunningService) -> None:
    await compact_after_erasure(service)


async def deliver_due(service: RunningService, sender: Sender) -> int:
    """One pass of the sender: route what fell due, send what is due, route what just failed over.
    Returns the number of deliveries attempted."""
    await route_due(service, sender.policy)
    sent = await sender.send_due(service)
    if sent:
        await route_due(service, sender.policy)
    return sent


async def refresh_gauges(service: RunningService) -> None:
    now = service.now().timestamp()
    m, d, c = tables.messages, tables.deliveries, tables.calls
    open_reminder = (m.c.kind == "reminder") & m.c.state.in_(("scheduled", "routed"))
    async with service.engine.connect() as conn:
        queued = await conn.scalar(select(func.count()).select_from(m).where(open_reminder)) or 0
        oldest = await conn.scalar(select(func.min(m.c.due_at)).where(open_reminder, m.c.due_at <= now))
        rows = await conn.execute(
            select(d.c.channel, func.count()).where(d.c.state.in_(("pending", "sending"))).group_by(d.c.channel)
        )
        pending: dict[str, int] = {channel: count for channel, count in rows}
        calls_open = await conn.scalar(select(func.count()).select_from(c).where(
            c.c.done_at.is_(None), c.c.expires_at.is_(None) | (c.c.expires_at > now)
        )) or 0
    labels = {"service": NAME, "site": service.settings.site}
    metrics.REMINDER_QUEUE.labels(**labels).set(queued)
    metrics.OLDEST_REMINDER.labels(**labels).set(max(0.0, now - oldest) if oldest is not None else 0.0)
    for channel in Channel:
        metrics.DELIVERIES_PENDING.labels(**labels, channel=str(channel)).set(pending.get(str(channel), 0))
    metrics.CALLS_OPEN.labels(**labels).set(calls_open)
