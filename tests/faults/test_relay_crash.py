"""Fault 1: the outbox relay killed (SIGKILL) after the commit and before the publish, and after the
JetStream ack and before the row is marked sent. Each runs against Maillage as it is and against a
mutant without the protection, to show that the checker notices when the protection is gone."""

import pytest

from shared.natsserver import EmbeddedNatsServer
from tests.support import observe
from tests.support.bus import eventually
from tests.support.checker import Verdict
from tests.support.faultkit import ServiceProcesses, prepare_topology
from tests.support.workload import SOAK, Workload, length

LOAD = length(2.0, 60.0)
# The dedupe's mutant runs under ``make soak`` only: two more service start-ups (~15 s today).
WITHOUT_DEDUPE: list[str | None] = [None, "publishes-without-msg-id"][:1 + SOAK]


async def crash_relay_under_load(hub: Workload, services: ServiceProcesses, nats_url: str, database_url: str,
                                 fault: str, mutation: str | None) -> Verdict:
    """A backlog builds up while the service is down; the service starts with the fault armed and dies
    on its third pass through the fault point, in the middle of the backlog; restarted, it catches up
    while the load goes on."""
    await prepare_topology(hub.fronts["hub"][1], nats_url, database_url, "booking")
    await hub.open_workshops(10, capacity=6)
    hub.start_load(rate=120)
    await hub.more_acked(150)
    await services.start("booking", nats_url, database_url, fault=fault, after=3, mutation=mutation, ready=False)
    await eventually(services.last_exited, bool, 60, f"the service to die at {fault}")
    await services.start("booking", nats_url, database_url, mutation=mutation)
    await hub.more_acked(int(120 * LOAD))
    await hub.stop_load()
    verdict = await observe.verdict(hub, observe.lone_hub(hub.fronts["hub"][1], database_url))
    print(verdict.report())
    return verdict


@pytest.mark.slow
@pytest.mark.parametrize("mutation", [None, "marks-before-publishing"], ids=["maillage", "mutant"])
async def test_relay_killed_between_commit_and_publish(
    hub: Workload, services: ServiceProcesses, nats_server: EmbeddedNatsServer, database_url: str,
    mutation: str | None,
) -> None:
    verdict = await crash_relay_under_load(hub, services, nats_server.url, database_url,
                                           "relay.before_publish", mutation)
    if mutation is None:
        assert verdict.ok, verdict.report()
    else:
        assert verdict.lost, "a relay that marks rows sent before publishing loses answers: the checker must say so"


@pytest.mark.slow
@pytest.mark.parametrize("mutation", WITHOUT_DEDUPE, ids=["maillage", "mutant"][:len(WITHOUT_DEDUPE)])
async def test_relay_killed_between_ack_and_mark(
    hub: Workload, services: ServiceProcesses, nats_server: EmbeddedNatsServer, database_url: str,
    mutation: str | None,
) -> None:
    verdict = await crash_relay_under_load(hub, services, nats_server.url, database_url,
                                           "relay.after_ack", mutation)
    if mutation is None:
        assert verdict.ok, verdict.report()
    else:
        assert verdict.republished, "without Nats-Msg-Id a restarted relay stores answers twice"
