"""Bad input ends as a clear rejection or a dead letter with its reason; what follows still flows."""

import json

from shared.contract import booking as bk
from shared.natsserver import EmbeddedNatsServer
from shared.topology import DLQ_STREAM
from tests.support.booking import booking_service, citizen
from tests.support.bus import eventually


async def dead_letters(js, count: int) -> list:  # type: ignore[no-untyped-def]
    async def probe() -> list:  # type: ignore[type-arg]
        info = await js.stream_info(DLQ_STREAM)
        return [await js.get_msg(DLQ_STREAM, seq) for seq in range(1, info.state.last_seq + 1)]

    return await eventually(probe, lambda msgs: len(msgs) >= count, what=f"{count} dead letters")


async def test_malformed_wrong_version_and_unknown_workshop(nats_server: EmbeddedNatsServer, database_url: str) -> None:
    async with booking_service(nats_server.url, database_url) as h:
        await h.send(h.workshop("w-ok", capacity=5))
        await h.js.publish("tl.hub.booking.requested", b'{"event_id": "x", oops')
        future = bk.BookingRequested(workshop_id="w-ok", citizen=citizen(1), origin="hub").model_dump()
        future["schema_version"] = "2.0"
        await h.js.publish("tl.hub.booking.requested", json.dumps(future, default=str).encode())
        await h.send(bk.BookingRequested(request_id="ghost", workshop_id="w-nowhere", citizen=citizen(2)))
        await h.send(bk.BookingRequested(request_id="fine", workshop_id="w-ok", citizen=citizen(3)))

        rejected = await h.wait_for("booking.rejected", count=1)
        assert (rejected[0]["request_id"], rejected[0]["reason"]) == ("ghost", "unknown_workshop")
        assert "w-nowhere" in rejected[0]["detail"]
        confirmed = await h.wait_for("booking.confirmed", count=1)
        assert confirmed[0]["request_id"] == "fine"

        letters = await dead_letters(h.js, 2)
        reasons = sorted(m.headers["Maillage-Reason"] for m in letters)
        assert reasons == ["malformed_json", "unsupported_schema_version"]
        assert all(m.headers["Maillage-Subject"] == "tl.hub.booking.requested" for m in letters)
        assert any(m.data.startswith(b'{"event_id": "x", oops') for m in letters), "original body kept"
        # Dead-lettered messages are terminated, not redelivered forever: nothing left to ack.
        info = await h.js.consumer_info(h.stream, "booking")
        assert info.num_ack_pending == 0 and info.num_pending == 0
