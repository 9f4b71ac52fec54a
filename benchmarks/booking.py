"""The booking service in its own process, as deployed: sustained decisions/s and request→outcome latency."""

import asyncio
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from nats.aio.client import Client as NATS
from nats.js import JetStreamContext

from maillage.node import ensure_topology
from services.booking import app as booking_app
from shared.contract import booking as bk
from shared.settings import BookingSettings

OUTCOMES = ("booking.confirmed", "booking.waitlisted", "booking.rejected")


def service_env(nats_url: str, database_url: str, data_dir: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILLAGE_")}
    env.update({
        "MAILLAGE_NATS_URL": nats_url, "MAILLAGE_DATABASE_URL": database_url, "MAILLAGE_METRICS_PORT": "0",
        "MAILLAGE_DATA_DIR": str(data_dir), "MAILLAGE_LOG_LEVEL": "WARNING", "MAILLAGE_MAX_ACTIVE_BOOKINGS": "1000",
    })
    return env


async def start_service(env: dict[str, str], log: Path) -> asyncio.subprocess.Process:
    with log.open("ab") as handle:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "maillage", "service", "booking", env=env, stdout=handle, stderr=handle,
        )


async def outcome_count(js: JetStreamContext) -> int:
    info = await js.stream_info("TL_HUB", subjects_filter="tl.hub.booking.*")
    subjects = info.state.subjects or {}
    return sum(subjects.get(f"tl.hub.{t}", 0) for t in OUTCOMES)


async def wait_count(js: JetStreamContext, target: int, timeout: float) -> float:
    deadline = time.monotonic() + timeout
    while (await outcome_count(js)) < target:
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {await outcome_count(js)} of {target} outcomes")
        await asyncio.sleep(0.02)
    return time.perf_counter()


async def wait_pulling(js: JetStreamContext, timeout: float) -> None:
    """Until the service process has its pull request open: requests sent before would queue behind
    its start-up (imports, migrations) and measure that instead of the steady state."""
    deadline = time.monotonic() + timeout
    while (await js.consumer_info("TL_HUB", booking_app.NAME)).num_waiting < 1:
        if time.monotonic() > deadline:
            raise TimeoutError("the booking service never started pulling")
        await asyncio.sleep(0.05)


def workshops(count: int, capacity: int) -> list[bk.WorkshopScheduleRequested]:
    starts = datetime.now(UTC) + timedelta(days=7)
    return [
        bk.WorkshopScheduleRequested(
            workshop_id=f"bw{n}", site="hub", room="A", title="Atelier", themes=["email"], origin="hub",
            starts_at=starts, ends_at=starts + timedelta(hours=2), capacity=capacity,
        )
        for n in range(count)
    ]


def seat(n: int, workshop_count: int, prefix: str) -> bk.BookingRequested:
    return bk.BookingRequested(
        request_id=f"{prefix}{n}", workshop_id=f"bw{n % workshop_count}", origin="hub",
        citizen={"citizen_id": f"{prefix}-cit-{n:07d}", "age_bracket": "soixante_dix_plus"},
    )


async def publish_all(js: JetStreamContext, events: list) -> None:  # type: ignore[type-arg]
    futures = []
    for e in events:
        futures.append(await js.publish_async(e.subject(), e.model_dump_json().encode(),
                                              headers={"Nats-Msg-Id": e.event_id}, wait_stall=10))
        if len(futures) >= 2000:
            await asyncio.gather(*futures)
            futures.clear()
    await asyncio.gather(*futures)


async def decisions_per_second(js: JetStreamContext, env: dict[str, str], log: Path, count: int) -> float:
    """Requests are queued first, then the service starts: it runs flat out through the backlog."""
    await ensure_topology(js, BookingSettings(), [booking_app.definition(BookingSettings())])
    shops = workshops(200, 60)
    await publish_all(js, shops)
    await publish_all(js, [seat(n, len(shops), "t") for n in range(count)])
    proc = await start_service(env, log)
    try:
        await wait_count(js, 1, 60)
        first = time.perf_counter()
        last = await wait_count(js, count, 600)
        return (count - 1) / (last - first)
    finally:
        proc.terminate()
        await proc.wait()


async def latency_at_rate(nc: NATS, js: JetStreamContext, env: dict[str, str], log: Path, rate: float,
                          count: int) -> tuple[float, float]:
    proc = await start_service(env, log)
    sent: dict[str, float] = {}
    latencies: list[float] = []
    done = asyncio.Event()

    async def on_outcome(msg) -> None:  # type: ignore[no-untyped-def]
        body = json.loads(msg.data)
        started = sent.pop(body.get("request_id", ""), None)
        if started is not None:
            latencies.append(time.perf_counter() - started)
            if len(latencies) == count:
                done.set()

    subs = [await nc.subscribe(f"tl.hub.{t}", cb=on_outcome) for t in OUTCOMES]
    try:
        await wait_pulling(js, 60)
        interval = 1.0 / rate
        next_at = time.perf_counter()
        for n in range(count):
            request = seat(n, 200, "l")
            sent[request.request_id] = time.perf_counter()
            await js.publish(request.subject(), request.model_dump_json().encode(),
                             headers={"Nats-Msg-Id": request.event_id})
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        await asyncio.wait_for(done.wait(), 60)
    finally:
        for sub in subs:
            await sub.unsubscribe()
        proc.terminate()
        await proc.wait()
    ordered = sorted(latencies)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.99) - 1] * 1000
