"""SIGKILL the booking service in the middle of 2,000 requests, restart it: one outcome each."""

import asyncio
import signal
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from nats.js import JetStreamContext

from maillage.node import connect
from shared.contract import booking as bk
from shared.natsserver import EmbeddedNatsServer
from tests.support.booking import citizen
from tests.support.bus import eventually, of_type, stream_events
from tests.support.processes import env_for, spawn, stop

REQUESTS = 2000
WORKSHOPS = 20
CAPACITY = 40
OUTCOMES = ("booking.confirmed", "booking.waitlisted", "booking.rejected")


async def outcomes(js: JetStreamContext) -> list[dict]:  # type: ignore[type-arg]
    return of_type(await stream_events(js, "TL_HUB", "tl.hub.booking.*"), *OUTCOMES)


async def outcome_count(js: JetStreamContext) -> int:
    info = await js.stream_info("TL_HUB", subjects_filter="tl.hub.booking.*")
    return sum((info.state.subjects or {}).get(f"tl.hub.{t}", 0) for t in OUTCOMES)


async def consumer_exists(js: JetStreamContext) -> bool:
    try:
        await js.consumer_info("TL_HUB", "booking")
    except Exception:
        return False
    return True


async def test_sigkill_mid_stream_loses_nothing_and_doubles_nothing(
    nats_server: EmbeddedNatsServer, database_url: str, tmp_path: Path
) -> None:
    env = env_for(nats_url=nats_server.url, database_url=database_url, metrics_port="0", data_dir=str(tmp_path))
    nc, js = await connect(nats_server.url, "test")
    log = tmp_path / "booking.log"
    service = await spawn(["service", "booking"], tmp_path, env, log)
    try:
        await eventually(lambda: consumer_exists(js), bool, 30, "the service's consumer")
        starts = datetime.now(UTC) + timedelta(days=3)
        for w in range(WORKSHOPS):
            req = bk.WorkshopScheduleRequested(
                workshop_id=f"w{w}", site="hub", room="A", title="Atelier", themes=["email"], origin="hub",
                starts_at=starts, ends_at=starts + timedelta(hours=1), capacity=CAPACITY,
            )
            await js.publish(req.subject(), req.model_dump_json().encode(), headers={"Nats-Msg-Id": req.event_id})
        requests = [
            bk.BookingRequested(request_id=f"q{n:04d}", workshop_id=f"w{n % WORKSHOPS}", citizen=citizen(n),
                                origin="hub")
            for n in range(REQUESTS)
        ]

        async def publish_all() -> None:
            for r in requests:
                await js.publish(r.subject(), r.model_dump_json().encode(), headers={"Nats-Msg-Id": r.request_id})

        publishing = asyncio.create_task(publish_all())
        seen = await eventually(lambda: outcome_count(js), lambda n: n >= 300, 60, "the first outcomes")
        service.send_signal(signal.SIGKILL)
        await service.wait()
        assert seen < REQUESTS, "killed too late to prove anything"
        await publishing

        service = await spawn(["service", "booking"], tmp_path, env, log)
        final = await eventually(lambda: outcomes(js), lambda o: len(o) >= REQUESTS, 120, "all outcomes")
        # Let a straggler show itself: a later sentinel's outcome is published after any duplicate would be.
        sentinel = bk.BookingRequested(request_id="sentinel", workshop_id="w0", citizen=citizen(99999), origin="hub")
        await js.publish(sentinel.subject(), sentinel.model_dump_json().encode())
        final = await eventually(lambda: outcomes(js), lambda o: len(o) >= REQUESTS + 1, 60, "the sentinel")

        per_request = Counter(e["request_id"] for e in final)
        assert len(per_request) == REQUESTS + 1
        assert max(per_request.values()) == 1, [r for r, c in per_request.items() if c > 1][:5]
        confirmed = Counter(e["workshop_id"] for e in final if e["type"] == "booking.confirmed")
        assert all(count == CAPACITY for count in confirmed.values()), confirmed
        assert not [e for e in final if e["type"] == "booking.rejected" and e["request_id"] != "sentinel"]
    finally:
        await stop(service)
        await nc.close()
    assert "Traceback" not in log.read_text()
