"""Fault 3: two instances of booking on one database (one SQLite file, or one PostgreSQL database when
MAILLAGE_TEST_DATABASE_URL is set), sharing the durable consumer, while half the requests come back a
second time under another message id: copies of one event land at both instances, sometimes at once."""

import re

import httpx
import pytest

from shared.natsserver import EmbeddedNatsServer
from tests.support import observe
from tests.support.faultkit import ServiceProcesses, prepare_topology
from tests.support.workload import Workload, length

LOAD = length(3.0, 60.0)
DUPLICATES = re.compile(r'^maillage_events_consumed_total\{[^}]*outcome="duplicate"[^}]*\} (\S+)$', re.M)


async def duplicates_seen(log: str) -> float:
    """How many deliveries an instance recognised as already applied (from its /metrics)."""
    url = re.search(r"(http://127\.0\.0\.1:\d+)/metrics", log)
    assert url, "the service prints its metrics address"
    async with httpx.AsyncClient() as client:
        text = (await client.get(f"{url.group(1)}/metrics")).text
    return sum(float(n) for n in DUPLICATES.findall(text))


@pytest.mark.slow
async def test_two_instances_on_one_database(
    hub: Workload, services: ServiceProcesses, nats_server: EmbeddedNatsServer, database_url: str
) -> None:
    url, js = nats_server.url, hub.fronts["hub"][1]
    await prepare_topology(js, url, database_url, "booking")
    await hub.open_workshops(8, capacity=5)
    for _ in range(2):
        await services.start("booking", url, database_url, ready=False)
    await services.started()
    hub.echo = 0.5
    hub.start_load(rate=150)
    await hub.more_acked(int(150 * LOAD))
    await hub.stop_load()
    verdict = await observe.verdict(hub, observe.lone_hub(js, database_url))
    seen = [await duplicates_seen(log.read_text()) for log in services.logs]
    print(verdict.report(), f"echoed={hub.echoed} duplicates recognised per instance={seen}")
    assert verdict.ok, verdict.report()
    assert all(n > 0 for n in seen), "each instance met copies of events (the other instance applied some)"
