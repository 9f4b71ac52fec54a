"""One durable consumer feeds every service of a process (shared/consumer.py, topology ``Delivery``):
each event is delivered once, and each service applies it in its own transaction, with its own inbox.
A service that fails on an event gets it back, and dead-letters it after its attempts, while the other
services of the process apply it exactly once and go on with what is queued behind it."""

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from prometheus_client import REGISTRY
from sqlalchemy import text

from shared.contract import booking as bk
from shared.db import make_engine
from shared.hlc import HybridClock
from shared.natsserver import EmbeddedNatsServer
from shared.service import ServiceDefinition
from shared.topology import origin_stream_name
from tests.support import observe
from tests.support.bus import eventually
from tests.support.faultkit import in_process
from tests.support.multinode import start_node

STREAM = origin_stream_name("hub")
ATTEMPTS = 3
POISON = "w-poison"


def reporting_fails_on_the_poison(definition: ServiceDefinition) -> ServiceDefinition:
    if definition.name != "reporting":
        return definition
    handlers = dict(definition.handlers)
    project = handlers[bk.WorkshopScheduled]

    async def fails(event: Any, uow: Any) -> None:
        if event.workshop_id == POISON:
            raise RuntimeError("la projection échoue pour cet atelier")
        await project(event, uow)

    handlers[bk.WorkshopScheduled] = fails
    return dataclasses.replace(definition, handlers=handlers)


def scheduled(clock: HybridClock, seq: int, workshop_id: str) -> bk.WorkshopScheduled:
    starts = datetime.now(UTC).replace(microsecond=0) + timedelta(days=3)
    event = bk.WorkshopScheduled(
        request_id=f"rq-{workshop_id}", workshop_id=workshop_id, site="hub", room="Salle 1", title="Tablette",
        themes=["email"], level="debutant", starts_at=starts, ends_at=starts + timedelta(hours=2), capacity=8)
    return event.model_copy(update={"origin": "hub", "origin_seq": seq, "hlc": clock.now()})


def consumed(service: str, outcome: str) -> float:
    labels = {"service": service, "site": "hub", "type": "booking.workshop_scheduled", "outcome": outcome}
    return REGISTRY.get_sample_value("maillage_events_consumed_total", labels) or 0.0


async def inbox(database_url: str, service: str) -> list[str]:
    engine = make_engine(database_url)
    try:
        async with engine.connect() as conn:
            return list(await conn.scalars(text(f"SELECT event_id FROM {service}_inbox")))
    finally:
        await engine.dispose()


async def test_one_delivery_feeds_each_service_once_and_a_failing_one_holds_back_only_itself(
    nats_server: EmbeddedNatsServer, database_url: str
) -> None:
    clock = HybridClock()
    events = [scheduled(clock, 1, "w-before"), scheduled(clock, 2, POISON)]
    events += [scheduled(clock, 3 + n, f"w-behind-{n}") for n in range(20)]
    before = {(s, o): consumed(s, o) for s in ("notifications", "reporting") for o in ("processed", "duplicate")}
    async with in_process(nats_server.url, database_url, "notifications", "reporting",
                          change=reporting_fails_on_the_poison, max_attempts=ATTEMPTS) as running:
        js = running[0].js
        for event in events:
            await js.publish(event.subject(), event.model_dump_json().encode(),
                             headers={"Nats-Msg-Id": event.event_id}, timeout=5)
        letters = await eventually(lambda: observe.dead_letters(js), lambda d: len(d) >= 1, 30, "the poison's letter")
        info = await eventually(lambda: js.consumer_info(STREAM, "notifications-reporting"),
                                lambda i: (i.num_pending or 0) + (i.num_ack_pending or 0) == 0, 30, "a drained durable")
        durables = {c.name for c in await js.consumers_info(STREAM)}
        dlq = await js.get_msg("TL_DLQ", 1)

    assert durables == {"notifications-reporting"}, "one durable for the process, none per service"
    # Delivered once each, but the poison: once per attempt of reporting's.
    assert info.delivered.consumer_seq == len(events) + ATTEMPTS - 1
    assert [(d.event_id, d.reason, d.subject) for d in letters] == [
        (events[1].event_id, "handler_failed", "tl.hub.booking.workshop_scheduled")]
    assert dlq.subject == "dlq.hub.reporting" and (dlq.headers or {})["Maillage-Consumer"] == "reporting"

    ids = {e.event_id for e in events}
    assert sorted(await inbox(database_url, "notifications")) == sorted(ids), "notifications applied all of them"
    assert sorted(await inbox(database_url, "reporting")) == sorted(ids - {events[1].event_id}), (
        "reporting applied all but the poison, including the 20 queued behind it")
    gained = {k: consumed(*k) - v for k, v in before.items()}
    assert gained[("notifications", "processed")] == len(events)
    # Each redelivery of the poison reached notifications again: its inbox skipped it every time.
    assert gained[("notifications", "duplicate")] == ATTEMPTS - 1
    assert gained[("reporting", "processed")] == len(events) - 1


async def test_a_process_that_now_runs_more_services_replaces_their_old_durables(tmp_path: Path) -> None:
    async def durables(services: tuple[str, ...]) -> tuple[set[str], list[str]]:
        node = await start_node(tmp_path, "hub", services)
        try:
            assert node.js is not None
            return {c.name for c in await node.js.consumers_info(STREAM)}, node.topology_report
        finally:
            await node.stop()

    alone, _ = await durables(("booking",))
    together, report = await durables(("booking", "inventory"))
    again, _ = await durables(("booking",))
    assert alone == {"booking"}
    assert together == {"booking-inventory"}, "the durable booking had alone is gone, not left behind unread"
    assert "consommateur TL_HUB/booking: remplacé par booking-inventory, supprimé" in report
    assert again == {"booking"}
