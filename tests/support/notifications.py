"""Real servers standing in for providers (an SMTP server, an HTTP SMS gateway) and a harness that
runs the notifications service in-process on a real nats-server and database, driven by a FakeClock."""

import asyncio
import contextlib
import email
import email.policy
import itertools
import json
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any

from aiosmtpd.smtp import SMTP, Envelope, Session
from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from sqlalchemy import select

from maillage.node import connect, ensure_topology
from services.notifications import app, tables
from services.notifications.channels.call_list import CallEntry, calls_for_day
from services.notifications.model import PARIS
from services.notifications.sender import Sender
from services.notifications.settings import NotificationSettings
from shared.contract import booking as bk
from shared.contract import directory as dr
from shared.contract.envelope import Event
from shared.service import RunningService
from shared.topology import origin_stream_name
from tests.support.booking import FakeClock
from tests.support.bus import eventually

# --- an SMTP server ------------------------------------------------------------------------------


class SmtpSink:
    """aiosmtpd on a free loopback port, in the test's own event loop. ``reject`` holds addresses
    refused with a permanent 550 at RCPT time; ``received`` every accepted message, parsed."""

    def __init__(self) -> None:
        self.received: list[EmailMessage] = []
        self.reject: set[str] = set()
        self.delay = 0.0
        self.port = 0
        self._server: asyncio.Server | None = None

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope, address: str,
                          rcpt_options: list[str]) -> str:
        if address in self.reject:
            return "550 5.1.1 Adresse inconnue"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self.delay:
            await asyncio.sleep(self.delay)  # a slow server, so that a SIGKILL lands mid-batch
        content = envelope.content if isinstance(envelope.content, bytes) else str(envelope.content).encode()
        parsed = email.message_from_bytes(content, policy=email.policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(parsed)
        return "250 2.0.0 OK"

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        self._server = await loop.create_server(lambda: SMTP(self, hostname="127.0.0.1"), "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    def to(self, address: str) -> list[EmailMessage]:
        return [m for m in self.received if m["To"] == address]

    def distinct_per_recipient(self) -> Counter[str]:
        return Counter(to for to, _ in {(str(m["To"]), str(m["Message-ID"])) for m in self.received})


# --- an HTTP SMS gateway -------------------------------------------------------------------------


@dataclass
class SmsGateway:
    """A provider-like gateway: JSON POSTs, an ``Idempotency-Key`` it honours (a repeated key is
    answered 200 without a second SMS), and failures on demand."""

    fail_first: int = 0  # per key: answer 503 to the first N attempts
    always_fail: set[str] = field(default_factory=set)  # numbers that never go through (503)
    delay: float = 0.0
    requests: list[dict[str, Any]] = field(default_factory=list)
    delivered: dict[str, dict[str, Any]] = field(default_factory=dict)  # key → body: the SMS phones got
    port: int = 0
    _tries: Counter[str] = field(default_factory=Counter)
    _ids: itertools.count = field(default_factory=lambda: itertools.count(1))
    _server: asyncio.Server | None = None
    _writers: set[asyncio.StreamWriter] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sms"

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            for writer in list(self._writers):
                writer.close()
            await self._server.wait_closed()

    def to(self, number: str) -> list[dict[str, Any]]:
        return [b for b in self.delivered.values() if b["to"] == number]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        try:
            head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
            headers = {k.strip().lower(): v.strip() for k, _, v in (line.partition(":") for line in head[1:] if line)}
            body = json.loads(await reader.readexactly(int(headers.get("content-length", "0"))))
            status, answer = await self._answer(headers, body)
            payload = json.dumps(answer).encode()
            writer.write(
                f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
                "Connection: close\r\n\r\n".encode() + payload
            )
            await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _answer(self, headers: dict[str, str], body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        key = headers.get("idempotency-key", "")
        self.requests.append({"key": key, "headers": headers, "body": body})
        if self.delay:
            await asyncio.sleep(self.delay)
        if key in self.delivered:
            return 200, {"id": self.delivered[key]["id"], "duplicate": True}
        self._tries[key] += 1
        if body.get("to") in self.always_fail or self._tries[key] <= self.fail_first:
            return 503, {"error": "indisponible"}
        self.delivered[key] = {**body, "id": f"sms-{next(self._ids)}"}
        return 200, {"id": self.delivered[key]["id"]}


# --- the service, in-process ---------------------------------------------------------------------


def notification_settings(nats_url: str, database_url: str, **overrides: Any) -> NotificationSettings:
    values: dict[str, Any] = {
        "nats_url": nats_url, "database_url": database_url, "metrics_port": 0, "notifications_jobs": False,
        "retry_base_seconds": 60, "send_lease_seconds": 120, "smtp_timeout": 10, "sms_timeout": 10,
        "mail_from": "Maillage <ne-pas-repondre@maillage.test>", "mail_domain": "maillage.test",
    }
    values.update(overrides)
    return NotificationSettings(**values)


@dataclass
class NotificationsHarness:
    nc: NATS
    js: JetStreamContext
    settings: NotificationSettings
    service: RunningService
    sender: Sender
    clock: FakeClock

    async def publish(self, *events: Event) -> None:
        for event in events:
            event = event.model_copy(update={"origin": self.settings.site})
            await self.js.publish(event.subject(), event.model_dump_json().encode(),
                                  headers={"Nats-Msg-Id": event.event_id}, timeout=5.0)
        await self.settle()

    async def settle(self) -> None:
        """Until the service has consumed and acknowledged everything published so far."""
        stream = origin_stream_name(self.settings.site)

        async def probe() -> tuple[int, int]:
            info = await self.js.consumer_info(stream, app.NAME)
            return info.num_pending or 0, info.num_ack_pending or 0

        await eventually(probe, lambda p: p == (0, 0), 30, "the notifications consumer to catch up")

    async def run(self, times: int = 1) -> None:
        for _ in range(times):
            await self.service.run_job_once(lambda s: app.deliver_due(s, self.sender))

    async def advance_and_run(self, delta: timedelta) -> None:
        self.clock.advance(delta)
        await self.run()

    async def rows(self, table: Any, *where: Any) -> list[Any]:
        async with self.service.engine.connect() as conn:
            return list((await conn.execute(select(table).where(*where))).all())

    async def messages(self, **equal: Any) -> list[Any]:
        return await self.rows(tables.messages, *(tables.messages.c[k] == v for k, v in equal.items()))

    async def call_list(self, site: str = "hub") -> list[CallEntry]:
        now = self.clock()
        async with self.service.engine.connect() as conn:
            return await calls_for_day(conn, site, now.astimezone(PARIS).date(), now, PARIS)


@asynccontextmanager
async def notifications_service(
    nats_url: str, database_url: str, clock: FakeClock | None = None, **overrides: Any
) -> AsyncIterator[NotificationsHarness]:
    settings = notification_settings(nats_url, database_url, **overrides)
    clock = clock or FakeClock()
    nc, js = await connect(nats_url, "test-notifications")
    definition = app.definition(settings)
    await ensure_topology(js, settings, [definition])
    service = RunningService(definition, settings, nc, js, now=clock)
    await service.start()
    try:
        yield NotificationsHarness(nc, js, settings, service, app.sender_of(settings), clock)
    finally:
        await service.stop()
        await nc.close()


# --- events the other services would publish -----------------------------------------------------

def contact(citizen_id: str, *consents: str, email: str | None = None, phone: str | None = None,
            preferred: str | None = None, **extra: Any) -> dr.ContactRegistered:
    return dr.ContactRegistered(
        citizen_id=citizen_id, site="hub", email=email, phone=phone, preferred_channel=preferred,
        consents=list(consents), **extra,
    )


def workshop(workshop_id: str, starts_at: datetime, title: str = "Premiers pas sur Internet",
             room: str = "Salle 1", site: str = "hub") -> bk.WorkshopScheduled:
    return bk.WorkshopScheduled(
        request_id=f"req-{workshop_id}", workshop_id=workshop_id, site=site, room=room, title=title,
        themes=["navigation_sur_internet"], level="debutant", starts_at=starts_at,
        ends_at=starts_at + timedelta(hours=2), capacity=10,
    )


def confirmed(booking_id: str, citizen_id: str, w: bk.WorkshopScheduled) -> bk.BookingConfirmed:
    return bk.BookingConfirmed(
        request_id=f"req-{booking_id}", booking_id=booking_id, site=w.site, workshop_id=w.workshop_id,
        starts_at=w.starts_at, ends_at=w.ends_at, citizen={"citizen_id": citizen_id},
    )


def cancelled(booking_id: str, citizen_id: str, w: bk.WorkshopScheduled, by: str = "citizen",
              reason: str = "cancelled_by_citizen") -> bk.BookingCancelled:
    return bk.BookingCancelled(
        request_id=f"cancel-{booking_id}", booking_id=booking_id, site=w.site, workshop_id=w.workshop_id,
        citizen_id=citizen_id, by=by, reason=reason, was="confirmed",
    )
