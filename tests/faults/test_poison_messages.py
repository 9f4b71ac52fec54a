"""Fault 5: malformed JSON, an unknown schema version and a handler that always raises. Each ends in
the dead-letter stream with its reason (the handler's failure after the configured attempts), the
alert metric ``maillage_dead_letters_total`` counts it, and the requests queued behind go through
while the poison is still being retried: no head-of-line blocking."""

import dataclasses
from typing import Any

from prometheus_client import REGISTRY

from shared.contract import booking as bk
from shared.natsserver import EmbeddedNatsServer
from shared.service import ServiceDefinition
from shared.topology import origin_stream_name
from tests.support import observe
from tests.support.bus import eventually
from tests.support.faultkit import in_process
from tests.support.workload import Workload, citizen

STREAM = origin_stream_name("hub")
ATTEMPTS = 4
POISON = "cit-poison"
REASONS = ("malformed_json", "unsupported_schema_version", "handler_failed")


def poisoned(definition: ServiceDefinition) -> ServiceDefinition:
    """Booking whose seat handler always raises for one citizen (a bug only their data triggers)."""
    handlers = dict(definition.handlers)
    request_seat = handlers[bk.BookingRequested]

    async def fails_for_one(cmd: Any, uow: Any) -> None:
        if cmd.citizen.citizen_id == POISON:
            raise RuntimeError("le gestionnaire échoue à chaque fois")
        await request_seat(cmd, uow)

    handlers[bk.BookingRequested] = fails_for_one
    return dataclasses.replace(definition, handlers=handlers)


def metric(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, {"service": "booking", "site": "hub", **labels}) or 0.0


def figures() -> dict[str, float]:
    out = {reason: metric("maillage_dead_letters_total", reason=reason) for reason in REASONS}
    out["retried"] = metric("maillage_events_consumed_total", type="booking.requested", outcome="retried")
    return out


async def test_poison_is_dead_lettered_with_its_reason_and_blocks_nothing(
    hub: Workload, nats_server: EmbeddedNatsServer, database_url: str
) -> None:
    js = hub.fronts["hub"][1]
    before = figures()
    async with in_process(nats_server.url, database_url, "booking", change=poisoned, max_attempts=ATTEMPTS):
        await hub.open_workshops(4, capacity=5)
        await js.publish("tl.hub.booking.requested", b'{"type": "booking.requested", "event_id": "x', timeout=5)
        future = bk.BookingRequested(workshop_id="w0", citizen=citizen(1), schema_version="2.0")
        await hub.send("hub", future)
        poison = await hub.send("hub", bk.BookingRequested(workshop_id="w1", citizen={**citizen(2),
                                                                                         "citizen_id": POISON}))
        behind = {(await hub.book("hub", f"w{n % 4}")).request_id for n in range(60)}

        await eventually(lambda: observe.answered(js, STREAM, behind), lambda done: done == behind, 30,
                         "the requests queued behind the poison")
        letters = await observe.dead_letters(js)
        assert poison.event_id not in {d.event_id for d in letters}, "the poison was still being retried"

        letters = await eventually(lambda: observe.dead_letters(js), lambda d: len(d) >= 3, 30, "three dead letters")
        verdict = await observe.verdict(hub, observe.lone_hub(js, database_url), poison=True)
    print(verdict.report())
    assert verdict.ok, verdict.report()
    assert sorted(d.reason for d in letters) == sorted(REASONS)
    assert {d.event_id for d in letters} >= {future.event_id, poison.event_id}
    assert "RuntimeError: le gestionnaire échoue" in next(d.detail for d in letters if d.reason == "handler_failed")
    after = figures()
    assert {r: after[r] - before[r] for r in REASONS} == dict.fromkeys(REASONS, 1.0), "one alert per dead letter"
    assert after["retried"] - before["retried"] == ATTEMPTS - 1, "retried until the configured attempts"
