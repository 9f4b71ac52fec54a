"""What a front-end does: publish a request event, and wait for the outcome carrying its request_id."""

import asyncio
import json
from typing import Any

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext
from nats.js.api import PubAck

from shared.contract.envelope import REGISTRY, Request


def is_request_type(event_type: str) -> bool:
    cls = REGISTRY.get(event_type)
    return cls is not None and issubclass(cls, Request)


async def publish_request(js: JetStreamContext, request: Request, timeout: float = 5.0) -> PubAck:
    """``Nats-Msg-Id = request_id``: a front-end that retries after a timeout is de-duplicated."""
    return await js.publish(
        request.subject(), request.model_dump_json().encode(), timeout=timeout,
        headers={"Nats-Msg-Id": request.request_id},
    )


class OutcomeWaiter:
    """Listens (plain NATS, no consumer) to outcome events and resolves waiters by request_id.

    Subscribe before publishing the request, or a fast outcome could be missed.
    """

    def __init__(self, nc: NATS, domains: tuple[str, ...] = ("booking", "attendance", "inventory")) -> None:
        self._nc = nc
        self._domains = domains
        self._subs: list[Subscription] = []
        self._waiting: dict[str, asyncio.Future[dict[str, Any]]] = {}

    async def start(self) -> None:
        for domain in self._domains:
            self._subs.append(await self._nc.subscribe(f"tl.*.{domain}.*", cb=self._on_event))

    async def stop(self) -> None:
        for sub in self._subs:
            await sub.unsubscribe()
        self._subs.clear()

    def expect(self, request_id: str) -> asyncio.Future[dict[str, Any]]:
        future = self._waiting.get(request_id)
        if future is None or future.done():
            future = asyncio.get_running_loop().create_future()
            self._waiting[request_id] = future
        return future

    async def wait(self, request_id: str, timeout: float) -> dict[str, Any] | None:
        future = self.expect(request_id)
        try:
            return await asyncio.wait_for(asyncio.shield(future), timeout)
        except TimeoutError:
            return None
        finally:
            if future.done():
                self._waiting.pop(request_id, None)

    async def _on_event(self, msg: Msg) -> None:
        event_type = msg.subject.split(".", 2)[2]
        if is_request_type(event_type) or not self._waiting:
            return
        try:
            body = json.loads(msg.data)
        except ValueError:
            return
        future = self._waiting.get(body.get("request_id", "")) if isinstance(body, dict) else None
        if future is not None and not future.done():
            future.set_result(body)
