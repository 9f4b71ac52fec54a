"""Fault 7: nats-server killed (SIGKILL) and restarted under load, at a lone hub and at a site of a
network. Publishes fail or hang while it is down (users are told, or unsure: never told "recorded"
for nothing); the services reconnect, the outboxes deliver what was decided meanwhile, sourcing
catches up; every acknowledged request is answered once."""

from pathlib import Path

import pytest

from shared.natsserver import EmbeddedNatsServer
from tests.faults.test_link_flapping import SITES, open_everywhere
from tests.support import observe
from tests.support.faultkit import in_process, network_scene, users_of
from tests.support.multinode import network
from tests.support.workload import Workload, length

LOAD = length(2.0, 60.0)


@pytest.mark.slow
async def test_hub_nats_server_killed_under_load(
    hub: Workload, nats_server: EmbeddedNatsServer, database_url: str
) -> None:
    async with in_process(nats_server.url, database_url, "booking", "inventory"):
        await hub.open_workshops(8, capacity=5)
        for n in range(12):
            await hub.register("hub", f"tab-{n:02d}", "hub")
        hub.start_load(rate=100, assets_to=SITES)
        await hub.more_acked(150)
        await nats_server.kill()
        await hub.unsure(5)  # users noticed: their publishes go unanswered
        await nats_server.start()
        await hub.more_acked(int(100 * LOAD))
        await hub.stop_load()
        verdict = await observe.verdict(hub, observe.lone_hub(hub.fronts["hub"][1], database_url, "booking",
                                                              "inventory"))
    print(verdict.report())
    assert verdict.ok, verdict.report()


@pytest.mark.slow
async def test_site_nats_server_killed_under_load(tmp_path: Path) -> None:
    async with network(tmp_path, sites=SITES) as net, users_of(net) as users:
        await open_everywhere(users, net)
        users.start_load(rate=60)
        await users.more_acked(100)
        site = net.sites["trebes"].embedded
        assert site is not None
        await site.kill()
        await users.unsure(5)
        await site.start()
        await users.more_acked(int(60 * LOAD))
        await users.stop_load()
        verdict = await observe.verdict(users, network_scene(net), timeout=120)
    print(verdict.report())
    assert verdict.ok, verdict.report()
