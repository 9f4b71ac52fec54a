"""The staff console of a site keeps working through a cut link (DESIGN §1): hub and Trèbes on loopback,
the leaf link through a proxy the test cuts. The console at Trèbes checks a booked person in and records
a walk-in while the hub is unreachable; its sync screen counts what has not reached the hub; after the
link returns, those actions are at the hub."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from maillage.node import Node
from shared import network as net
from shared.contract import booking as bk
from shared.contract import directory as dr
from shared.requests import publish_request
from shared.service import utc_now
from tests.support.bus import eventually, of_type, stream_events
from tests.support.frontends import Browser, FrontHarness, add_staff, console_front
from tests.support.multinode import network


async def at(node: Node, stream: str, *types: str) -> list[dict[str, Any]]:
    assert node.js is not None
    return of_type(await stream_events(node.js, stream), *types)


@asynccontextmanager
async def trebes_console(node: Node, tmp_path: Path) -> AsyncIterator[FrontHarness]:
    async with console_front(node.nats_url, f"sqlite+aiosqlite:///{tmp_path / 'console.sqlite3'}", utc_now,
                             site="trebes", data_dir=tmp_path / "console") as console:
        yield console


async def test_the_console_of_a_cut_off_site_keeps_working(tmp_path: Path) -> None:
    async with network(tmp_path, sites=("trebes",)) as n:
        hub, trebes = n.hub, n.sites["trebes"]
        assert trebes.js is not None
        starts = datetime.now(UTC) + timedelta(hours=2)
        workshop = bk.WorkshopScheduleRequested(
            workshop_id="w-trebes", site="trebes", room="Salle", title="Ma boîte e-mail", themes=["email"],
            starts_at=starts, ends_at=starts + timedelta(hours=2), capacity=8, origin="trebes")
        card = dr.ContactRegistered(citizen_id="cit-000042", site="trebes", display_name="Jeanne Martin",
                                    origin="trebes")
        await publish_request(trebes.js, workshop)
        await trebes.js.publish(card.subject(), card.model_dump_json().encode(), headers={"Nats-Msg-Id": card.event_id})
        await publish_request(trebes.js, bk.BookingRequested(
            request_id="r-jeanne", workshop_id="w-trebes", citizen={"citizen_id": "cit-000042"}, origin="trebes"))
        booked = await eventually(lambda: at(trebes, "TL_TREBES", "booking.confirmed"), bool, 30, "the booking")

        async with trebes_console(trebes, tmp_path) as console:
            await console.settled()
            await add_staff(console, "paul", "trebes", "Paul Martin")
            paul = Browser(console.url)
            try:
                await paul.login("paul")
                n.proxies["trebes"].cut()
                page = await paul.get("/seance/w-trebes")
                assert "Jeanne Martin" in page
                _, page = await paul.post("/seance/w-trebes/pointer", reservation=booked[0]["booking_id"])
                assert "Présence enregistrée." in page
                _, page = await paul.post("/seance/w-trebes/sans-reservation", nom="Ali Ben Salah", commune="11397")
                assert "Présence enregistrée (venue sans réservation)." in page and "Ali Ben Salah" in page
                sync = await paul.get("/synchro")
                assert "pas encore arrivé(s) au pôle" in sync, sync

                n.proxies["trebes"].restore()

                async def checked_in_at_hub() -> list[dict[str, Any]]:
                    return [e for e in await at(hub, net.NETWORK_STREAM, "attendance.checked_in")
                            if e["_subject"].startswith("tl.trebes.")]

                arrived = await eventually(checked_in_at_hub, lambda e: len(e) == 2, 60, "the desk at the hub")
                assert sorted(e["walk_in"] for e in arrived) == [False, True]
                assert {e["booking_id"] for e in arrived} >= {booked[0]["booking_id"]}

                async def synced() -> str:
                    return await paul.get("/synchro")

                await eventually(synced, lambda p: "Tout ce qui a été fait ici est arrivé au pôle." in p, 30,
                                 "the sync screen to say all is at the hub")
            finally:
                await paul.close()
