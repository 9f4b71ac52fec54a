"""Reading back what the system recorded, for the checker: streams, dead letters and final rows,
once every consumer and outbox has drained — when nothing left could still change the verdict."""

import json
from dataclasses import dataclass, field
from typing import Any

from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig
from nats.js.errors import NotFoundError
from sqlalchemy import Table, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.booking import tables as booking_tables
from services.inventory import tables as inventory_tables
from shared.db import make_engine
from shared.topology import DLQ_STREAM, fed_by
from tests.support.bus import eventually, stream_events
from tests.support.checker import PRIMARY, DeadLetter, Verdict, check
from tests.support.workload import Workload

OUTBOXES = {"booking": booking_tables.messaging.outbox, "inventory": inventory_tables.messaging.outbox}


@dataclass
class Drain:
    """A durable consumer that must have nothing pending, nothing unacknowledged. ``consumer`` names it,
    or names a service: then the durable that feeds it, whichever process layout runs (alone: the
    service's name; sharing a process: a durable named after all its services, shared/topology.py)."""

    js: JetStreamContext
    stream: str
    consumer: str


@dataclass
class Scene:
    """Where the verdict looks: the streams holding every request and answer (read at ``js``), the
    consumers and databases (booking and/or inventory tables) that must have drained first."""

    js: JetStreamContext
    streams: list[str]
    drains: list[Drain] = field(default_factory=list)
    databases: list[str] = field(default_factory=list)


async def raw_messages(js: JetStreamContext, stream: str) -> list[Msg]:
    info = await js.stream_info(stream)
    if info.state.messages == 0:
        return []
    psub = await js.pull_subscribe(">", stream=stream, config=ConsumerConfig(ack_policy=AckPolicy.NONE))
    out: list[Msg] = []
    try:
        while True:
            msgs = await psub.fetch(1000, timeout=1.0)
            out += msgs
            if msgs[-1].metadata.num_pending == 0:
                return out
    except TimeoutError:
        return out
    finally:
        await psub.unsubscribe()


async def dead_letters(js: JetStreamContext) -> list[DeadLetter]:
    try:
        msgs = await raw_messages(js, DLQ_STREAM)
    except NotFoundError:
        return []
    out = []
    for msg in msgs:
        try:
            body = json.loads(msg.data)
        except ValueError:
            body = None
        event_id = body.get("event_id") if isinstance(body, dict) else None
        headers = msg.headers or {}
        out.append(DeadLetter(event_id, headers.get("Maillage-Reason", ""), headers.get("Maillage-Subject", ""),
                              headers.get("Maillage-Detail", "")))
    return out


async def _tables(conn: AsyncConnection) -> set[str]:
    return set(await conn.run_sync(lambda sync: inspect(sync).get_table_names()))


async def _with_db(url: str, work: Any) -> Any:
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return await work(conn, await _tables(conn))
    finally:
        await engine.dispose()


async def outbox_backlog(url: str) -> int:
    async def count(conn: AsyncConnection, names: set[str]) -> int:
        backlog = 0
        for table in OUTBOXES.values():
            if table.name in names:
                query = select(func.count()).select_from(table).where(table.c.sent_at.is_(None))
                backlog += await conn.scalar(query) or 0
        return backlog

    return int(await _with_db(url, count))


async def rows(url: str, table: Table, *columns: str) -> dict[str, Any]:
    async def read(conn: AsyncConnection, names: set[str]) -> dict[str, Any]:
        if table.name not in names:
            return {}
        cols = [table.c[c] for c in columns]
        found = await conn.execute(select(*cols))
        return {r[0]: (r[1] if len(columns) == 2 else tuple(r[1:])) for r in found}

    return dict(await _with_db(url, read))


async def drained(scene: Scene) -> list[str]:
    """What has not drained yet (empty: quiet)."""
    busy = []
    for d in scene.drains:
        try:
            infos = [i for i in await d.js.consumers_info(d.stream)
                     if i.name == d.consumer or d.consumer in fed_by(i.name)]
        except Exception as exc:  # a server restarting: not quiet yet
            busy.append(f"{d.stream}/{d.consumer}: {exc!r}")
            continue
        if not infos:
            busy.append(f"{d.stream}/{d.consumer}: no durable yet")
        for info in infos:
            if info.num_pending or info.num_ack_pending:
                busy.append(f"{d.stream}/{info.name}: {info.num_pending} pending, {info.num_ack_pending} unacked")
    for url in scene.databases:
        if backlog := await outbox_backlog(url):
            busy.append(f"{url}: {backlog} in the outbox")
    return busy


async def verdict(workload: Workload, scene: Scene, timeout: float = 60.0, poison: bool = False,
                  forged: tuple[str, ...] = ()) -> Verdict:
    """Wait until quiet, then judge (``poison``: the test dead-letters messages on purpose). The rows
    compared are those of ``scene.databases``."""
    await eventually(lambda: drained(scene), lambda busy: not busy, timeout, "consumers and outboxes to drain")
    streams = {name: await stream_events(scene.js, name) for name in scene.streams}
    bookings: dict[str, str] = {}
    assets: dict[str, tuple[str, str]] = {}
    for url in scene.databases:
        bookings.update(await rows(url, booking_tables.bookings, "booking_id", "status"))
        assets.update(await rows(url, inventory_tables.assets, "asset_tag", "site", "status"))
    return check(workload.sent, streams, await dead_letters(scene.js), bookings, assets or None, poison, forged)


async def stored(js: JetStreamContext, stream: str, *types: str) -> int:
    """How many events of these types ``stream`` holds (from the server's per-subject counts)."""
    info = await js.stream_info(stream, subjects_filter="tl.>")
    subjects = info.state.subjects or {}
    return sum(n for subject, n in subjects.items() if subject.split(".", 2)[-1] in types)


def lone_hub(js: JetStreamContext, database_url: str, *services: str) -> Scene:
    """A hub without sites: everything is in TL_HUB, read by the durables that feed ``services``."""
    return Scene(js, ["TL_HUB"], [Drain(js, "TL_HUB", name) for name in services or ("booking",)], [database_url])


async def answer(js: JetStreamContext, stream: str, request_id: str, timeout: float = 30.0) -> dict[str, Any]:
    """The decision answering ``request_id`` (what its user waits for), once it is in ``stream``."""
    async def probe() -> list[dict[str, Any]]:
        return [e for e in await stream_events(js, stream) if e.get("request_id") == request_id
                and e.get("type") in PRIMARY]

    found = await eventually(probe, bool, timeout, f"the answer to {request_id}")
    return found[0]


async def answered(js: JetStreamContext, stream: str, request_ids: set[str]) -> set[str]:
    """Which of ``request_ids`` have their decision in ``stream``."""
    found = {e.get("request_id") for e in await stream_events(js, stream) if e.get("type") in PRIMARY}
    return request_ids & {r for r in found if r}
