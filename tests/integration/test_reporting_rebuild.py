"""Rebuild from three origins' streams (hub, trebes, conques): whatever the replay order, the same figures.

The node's own stream ``TL_HUB`` captures only ``tl.hub.>``; the sites' streams are created here the
way each site node creates its own (the hub's aggregate stream comes with the multi-site work).
"""

import random
from dataclasses import asdict

from services.reporting import queries
from services.reporting.indicators import compute
from services.reporting.model import Period
from services.reporting.rebuild import rebuild
from shared import topology
from shared.db import make_engine
from shared.natsserver import EmbeddedNatsServer
from tests.support.reporting import (
    facts_from,
    interleave,
    project,
    publish,
    reporting_settings,
    scripted_month,
    snapshot,
)

ORIGINS = ("hub", "trebes", "conques")
NOVEMBER = Period.month(2026, 11)


async def test_replaying_the_sites_streams_in_any_order_gives_identical_read_models(
    nats_server: EmbeddedNatsServer, database_url: str
) -> None:
    from maillage.node import connect

    settings = reporting_settings(nats_server.url, database_url)
    script = scripted_month()
    nc, js = await connect(nats_server.url, "test-rebuild")
    engine = make_engine(database_url)
    try:
        await topology.ensure(js, [topology.origin_stream(o, 1, 64 * 1024**2) for o in ORIGINS], [])
        await publish(js, interleave(script.by_origin(), random.Random(7)))
        await js.publish("tl.hub.attendance.accompaniment_recorded", b'{"not": "an event"}',
                         headers={"Nats-Msg-Id": "garbage"})
        streams = [topology.origin_stream_name(o) for o in ORIGINS]

        first = await rebuild(js, engine, settings, streams)
        assert (first.read, first.applied, dict(first.invalid)) == (len(script.events) + 1, len(script.events),
                                                                     {"invalid_event": 1})
        reference = await snapshot(engine)
        again = await rebuild(js, engine, settings, list(reversed(streams)))
        assert again.applied == len(script.events)
        assert await snapshot(engine) == reference

        async with engine.connect() as conn:
            facts = await queries.load_facts(conn, NOVEMBER)
        from_db = compute(facts, NOVEMBER, settings.territory)
        in_memory = compute(facts_from(project(script.events)), NOVEMBER, settings.territory)
        assert asdict(from_db) == asdict(in_memory)
        assert (from_db.people, from_db.visits, from_db.loans_started) == (10, 13, 3)
        assert "\n".join(first.lines()).startswith("flux rejoués : TL_HUB, TL_TREBES, TL_CONQUES")
    finally:
        await engine.dispose()
        await nc.close()
