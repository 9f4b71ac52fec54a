"""The reporting service on a real nats-server and database: the scripted month, redelivered, rebuilt."""

import json
from dataclasses import asdict
from datetime import UTC, date, datetime

from prometheus_client import REGISTRY
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from services.reporting import app, cra, queries
from services.reporting.indicators import compute
from services.reporting.model import Period
from services.reporting.rebuild import rebuild
from services.reporting.tables import messaging
from shared.db import make_engine
from shared.natsserver import EmbeddedNatsServer
from shared.topology import DLQ_STREAM
from tests.support.bus import eventually, stream_events
from tests.support.reporting import (
    accompaniment,
    facts_from,
    on_hub,
    project,
    publish,
    reporting_service,
    scripted_month,
    snapshot,
)

NOVEMBER = Period.month(2026, 11)


async def _processed(engine: AsyncEngine) -> int:
    async with engine.connect() as conn:
        return int(await conn.scalar(select(func.count()).select_from(messaging.inbox)) or 0)


async def test_the_month_through_jetstream_is_counted_once_and_rebuilds_identically(
    nats_server: EmbeddedNatsServer, database_url: str
) -> None:
    events = on_hub(scripted_month().events)
    async with reporting_service(nats_server.url, database_url) as h:
        engine = h.service.engine
        await publish(h.js, events)
        await eventually(lambda: _processed(engine), lambda n: n == len(events), 30, "every event projected")
        first = await snapshot(engine)
        async with engine.connect() as conn:
            facts = await queries.load_facts(conn, NOVEMBER)
        figures = compute(facts, NOVEMBER, h.settings.territory)
        assert (figures.people, figures.visits, figures.sessions_held, figures.no_shows) == (10, 13, 4, 3)
        assert asdict(figures) == asdict(compute(facts_from(project(events)), NOVEMBER, h.settings.territory))

        # The same events again under new message ids (as after a JetStream dedupe window): the inbox drops them.
        for e in events:
            await h.js.publish(e.subject(), e.model_dump_json().encode(), headers={"Nats-Msg-Id": f"{e.event_id}/2"})

        async def settled() -> tuple[int, int, int]:
            info = await h.js.consumer_info("TL_HUB", "reporting")
            state = (await h.js.stream_info("TL_HUB")).state
            return info.num_pending or 0, info.num_ack_pending or 0, (info.delivered.stream_seq or 0) - state.last_seq

        await eventually(settled, lambda s: s == (0, 0, 0), 30, "redeliveries consumed")
        assert await snapshot(engine) == first

        result = await rebuild(h.js, engine, h.settings)
        assert (result.read, result.applied) == (2 * len(events), len(events))
        assert await snapshot(engine) == first


async def test_business_gauges(nats_server: EmbeddedNatsServer, database_url: str) -> None:
    events = on_hub(scripted_month().events)
    async with reporting_service(nats_server.url, database_url) as h:
        await publish(h.js, events)
        await eventually(lambda: _processed(h.service.engine), lambda n: n == len(events), 30, "projected")
    engine = make_engine(database_url)  # after stop: the service's own periodic refresh can no longer race us
    try:
        await app.refresh_gauges(engine, h.settings, datetime(2026, 11, 19, 12, tzinfo=UTC))
    finally:
        await engine.dispose()

    def gauge(name: str, site: str) -> float | None:
        return REGISTRY.get_sample_value(name, {"service": "reporting", "site": site})

    assert gauge("maillage_reporting_people_month", "network") == 10
    assert gauge("maillage_reporting_people_month", "hub") == 5
    assert gauge("maillage_reporting_sessions_week", "network") == 1  # week of 16-22 Nov: W2 on the 18th
    assert gauge("maillage_reporting_attendance_rate", "network") == 6 / 9
    assert gauge("maillage_reporting_attendance_rate", "trebes") == 1.0


async def test_an_unknown_theme_is_dead_lettered_with_its_reason_and_never_exported(
    nats_server: EmbeddedNatsServer, database_url: str
) -> None:
    good = accompaniment("hub", "A7", "c01", date(2026, 11, 9), 30, ["email"]).model_copy(
        update={"origin": "hub", "event_id": "evt-good"})
    bad = accompaniment("hub", "A9", "c02", date(2026, 11, 9), 30, ["email"]).model_copy(
        update={"origin": "hub", "event_id": "evt-bad"})
    async with reporting_service(nats_server.url, database_url) as h:
        body = bad.model_dump_json().replace('"email"', '"jardinage"').encode()
        await h.js.publish(bad.subject(), body, headers={"Nats-Msg-Id": bad.event_id})
        await publish(h.js, [good])
        letters = await eventually(lambda: stream_events(h.js, DLQ_STREAM, "dlq.>"), lambda d: len(d) == 1, 30,
                                   "a dead letter")
        await eventually(lambda: _processed(h.service.engine), lambda n: n == 1, 30, "the good record")
        info = await h.js.get_msg(DLQ_STREAM, 1)
        assert info.headers is not None and info.headers["Maillage-Reason"] == "invalid_event"
        assert "themes" in info.headers["Maillage-Detail"] and info.headers["Maillage-Consumer"] == "reporting"
        assert json.loads(info.data or b"{}")["record_id"] == "A9" and letters[0]["record_id"] == "A9"
        async with h.service.engine.connect() as conn:
            facts = await queries.load_facts(conn, NOVEMBER)
        rows = cra.records(facts, NOVEMBER, h.settings.network, h.settings.territory)
        assert [r["id"] for r in rows] == ["A7"]
