"""Test helpers for talking to a real JetStream: read a stream back, wait with a deadline."""

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig

T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T]], accept: Callable[[T], bool], timeout: float = 30.0, what: str = "condition"
) -> T:
    """Poll ``probe`` until ``accept`` holds; fails with the last value seen after ``timeout``."""
    deadline = time.monotonic() + timeout
    value = await probe()
    while not accept(value):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}; last value: {value!r}"[:2000])
        await asyncio.sleep(0.05)
        value = await probe()
    return value


async def stream_events(js: JetStreamContext, stream: str, subject: str = "tl.>") -> list[dict[str, Any]]:
    """Every message of ``stream`` matching ``subject``, decoded, in stream order."""
    info = await js.stream_info(stream)
    if info.state.messages == 0:
        return []
    config = ConsumerConfig(ack_policy=AckPolicy.NONE, inactive_threshold=30.0)
    psub = await js.pull_subscribe(subject, stream=stream, config=config)
    out: list[dict[str, Any]] = []
    try:
        while True:
            try:
                msgs = await psub.fetch(1000, timeout=0.5)
            except TimeoutError:
                break
            for msg in msgs:
                try:
                    body = json.loads(msg.data)
                except ValueError:  # a malformed message a test published on purpose
                    body = {"_raw": msg.data}
                body["_subject"] = msg.subject
                out.append(body)
            if msgs[-1].metadata.num_pending == 0:
                break
    finally:
        await psub.unsubscribe()
    return out


def of_type(events: list[dict[str, Any]], *types: str) -> list[dict[str, Any]]:
    return [e for e in events if e.get("type") in types]
