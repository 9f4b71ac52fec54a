"""Raw nats-py JetStream figures: the ceiling our services are compared with."""

import asyncio
import time

from nats.js import JetStreamContext
from nats.js.api import ConsumerConfig, StreamConfig

WINDOW = 2000


async def publish_throughput(js: JetStreamContext, count: int, payload: bytes) -> float:
    await js.add_stream(StreamConfig(name="RAW", subjects=["raw.>"]))
    started = time.perf_counter()
    futures = []
    for n in range(count):
        futures.append(await js.publish_async(f"raw.{n % 16}", payload, wait_stall=10))
        if len(futures) >= WINDOW:
            await asyncio.gather(*futures)
            futures.clear()
    await asyncio.gather(*futures)
    return count / (time.perf_counter() - started)


async def pull_throughput(js: JetStreamContext, count: int) -> float:
    await js.add_consumer("RAW", ConsumerConfig(durable_name="raw", max_ack_pending=10_000))
    psub = await js.pull_subscribe_bind("raw", stream="RAW")
    started = time.perf_counter()
    seen = 0
    while seen < count:
        msgs = await psub.fetch(500, timeout=5)
        for msg in msgs:
            await msg.ack()
        seen += len(msgs)
    return count / (time.perf_counter() - started)
