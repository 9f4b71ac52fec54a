"""How a front-end asks: publish the request like any client, wait for the outcome event carrying its
``request_id``, then wait (briefly) for its own read model to have taken that outcome in, so the page
shown next already says what just happened (read-your-writes on a read model fed by events)."""

import asyncio
import time
from dataclasses import dataclass, field
from typing import Any, Literal

from nats.aio.client import Client as NATS
from nats.js import JetStreamContext
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.contract.envelope import Event, Request
from shared.messaging import MessagingTables
from shared.requests import OutcomeWaiter, publish_request

Status = Literal["answered", "pending", "unavailable"]
DOMAINS = ("booking", "attendance", "inventory")


@dataclass(frozen=True)
class Answer:
    status: Status
    event: dict[str, Any] = field(default_factory=dict)

    @property
    def type(self) -> str:
        return str(self.event.get("type", ""))

    @property
    def refused(self) -> bool:
        return "reason" in self.event and "request_type" in self.event

    @property
    def detail(self) -> str:
        return str(self.event.get("detail", ""))


@dataclass
class ReadModel:
    """Where a front-end's own projection records what it consumed: its inbox, and the types it reads."""

    engine: AsyncEngine
    tables: MessagingTables
    consumer: str
    types: frozenset[str]


class RequestClient:
    def __init__(self, nc: NATS, js: JetStreamContext, site: str, read_model: ReadModel,
                 timeout: float = 5.0, catch_up: float = 3.0) -> None:
        self.site = site
        self._js = js
        self._waiter = OutcomeWaiter(nc, DOMAINS)
        self._read_model = read_model
        self.timeout = timeout
        self._catch_up = catch_up

    async def start(self) -> None:
        await self._waiter.start()

    async def stop(self) -> None:
        await self._waiter.stop()

    async def ask(self, request: Request) -> Answer:
        request = request.model_copy(update={"origin": self.site})
        self._waiter.expect(request.request_id)  # before publishing: the outcome may come back at once
        try:
            await publish_request(self._js, request)
        except Exception:  # NATS unreachable or no JetStream ack: nothing was recorded
            return Answer("unavailable")
        event = await self._waiter.wait(request.request_id, self.timeout)
        if event is None:
            return Answer("pending", {"request_id": request.request_id})
        await self.caught_up(event)
        return Answer("answered", event)

    async def tell(self, event: Event) -> bool:
        """Publish a fact that needs no answer (a contact card for this node's notifications)."""
        event = event.model_copy(update={"origin": self.site})
        try:
            await self._js.publish(event.subject(), event.model_dump_json().encode(), timeout=self.timeout,
                                   headers={"Nats-Msg-Id": event.event_id})
        except Exception:
            return False
        return True

    async def caught_up(self, event: dict[str, Any]) -> bool:
        if event.get("type") not in self._read_model.types:
            return True
        inbox = self._read_model.tables.inbox
        query = select(inbox.c.event_id).where(
            inbox.c.consumer == self._read_model.consumer, inbox.c.event_id == event.get("event_id"))
        deadline = time.monotonic() + self._catch_up
        while time.monotonic() < deadline:
            async with self._read_model.engine.connect() as conn:
                if await conn.scalar(query) is not None:
                    return True
            await asyncio.sleep(0.02)
        return False
