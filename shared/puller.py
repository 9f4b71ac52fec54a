"""A pull consumer with prefetch, fed by a subscription callback instead of ``fetch()``.

nats-py's ``fetch()`` costs ~80-110 µs a message (a future per ``next_msg``) and lingers for its
whole timeout once the first message arrived; here one long pull request of ``prefetch`` messages
stays open and messages land in a buffer as the server sends them. ``next_batch`` hands over what
has arrived, so a lone message is processed at once and a backlog comes in large batches.
"""

import asyncio
import json
import time

from nats.aio.client import Client as NATS
from nats.aio.msg import Msg
from nats.aio.subscription import Subscription
from nats.js import JetStreamContext

_DONE = {"404", "408", "409"}  # no messages / request expired / request ended by the server


class Puller:
    def __init__(self, nc: NATS, stream: str, durable: str, prefetch: int = 500, expires: float = 5.0) -> None:
        self._nc = nc
        self._api = f"$JS.API.CONSUMER.MSG.NEXT.{stream}.{durable}"
        self._prefetch = prefetch
        self._expires = expires
        self._buffer: list[Msg] = []
        self._arrived = asyncio.Event()
        self._inbox = ""
        self._sub: Subscription | None = None
        self._requested = 0  # messages still owed by the open request
        self._deadline = 0.0  # when the open request is certainly over, even if its 408 was lost

    async def start(self) -> None:
        self._inbox = self._nc.new_inbox()
        self._sub = await self._nc.subscribe(self._inbox, cb=self._on_msg, pending_msgs_limit=-1)

    async def stop(self) -> None:
        if self._sub is not None:
            await self._sub.unsubscribe()
            self._sub = None

    async def next_batch(self, max_messages: int, idle_timeout: float) -> list[Msg]:
        await self._keep_requesting()
        if not self._buffer:
            self._arrived.clear()
            try:
                await asyncio.wait_for(self._arrived.wait(), idle_timeout)
            except TimeoutError:
                return []
        batch, self._buffer = self._buffer[:max_messages], self._buffer[max_messages:]
        await self._keep_requesting()
        return batch

    async def _keep_requesting(self) -> None:
        open_request = self._requested > 0 and time.monotonic() < self._deadline
        if open_request or len(self._buffer) >= self._prefetch or not self._nc.is_connected:
            return
        self._requested = self._prefetch
        self._deadline = time.monotonic() + self._expires + 2.0
        request = {"batch": self._prefetch, "expires": int(self._expires * 1e9), "idle_heartbeat": int(2e9)}
        await self._nc.publish(self._api, json.dumps(request).encode(), reply=self._inbox)

    async def _on_msg(self, msg: Msg) -> None:
        status = JetStreamContext.is_status_msg(msg)
        if status is None:
            self._buffer.append(msg)
            self._requested -= 1
            self._deadline = max(self._deadline, time.monotonic() + self._expires / 2)
        elif status in _DONE:
            self._requested = 0
        elif status == "100":
            self._deadline = max(self._deadline, time.monotonic() + 4.0)  # heartbeat: the request is alive
        self._arrived.set()
