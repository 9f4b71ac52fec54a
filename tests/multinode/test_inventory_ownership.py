"""Who decides what between inventories at different nodes, case by case, without NATS: each node's bus on
its own database (the hub's on PostgreSQL too when set), fed the other's facts by hand as the streams
would carry them (hub → site: the hub's requests and facts; site → hub: the site's facts)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, timedelta
from pathlib import Path

from services.inventory import queries
from shared.contract import inventory as inv
from shared.contract.envelope import Event, Request
from tests.support.inventory import InventoryBench, inventory_bench, lend, register


@asynccontextmanager
async def nodes(database_url: str, tmp_path: Path) -> AsyncIterator[tuple[InventoryBench, InventoryBench]]:
    async with (
        inventory_bench(database_url, sites={"trebes": "x", "conques": "y"}) as hub,
        inventory_bench(f"sqlite+aiosqlite:///{tmp_path / 'trebes.sqlite3'}", site="trebes") as trebes,
    ):
        yield hub, trebes


def at_hub(request: Request) -> Request:
    return request.model_copy(update={"origin": "hub"})


def kinds(events: list[Event]) -> list[tuple[str, str | None]]:
    return [(e.TYPE.removeprefix("inventory."), getattr(e, "reason", None) or getattr(e, "owner_site", None))
            for e in events]


async def place(bench: InventoryBench, tag: str) -> tuple[str, str]:
    async with bench.service.engine.connect() as conn:
        sheet = await queries.asset_sheet(conn, tag)
    assert sheet is not None
    return sheet.asset.site, sheet.asset.status


async def test_the_hub_passes_on_what_a_site_decides_and_the_site_decides_it_once(
    database_url: str, tmp_path: Path
) -> None:
    async with nodes(database_url, tmp_path) as (hub, trebes):
        assert await hub.handle(*await trebes.handle(register("TR-1", site="trebes"))) == []
        loan = at_hub(lend("TR-1"))
        pending = await hub.handle(loan)
        assert kinds(pending) == [("request_pending", "trebes")]
        assert await trebes.handle(loan) == [], "the raw request is the hub's: the site waits for its routing"
        decided = await trebes.handle(*pending)
        assert kinds(decided) == [("loan_checked_out", None)] and decided[0].origin == "trebes"
        assert await hub.handle(*decided) == [] and await place(hub, "TR-1") == ("trebes", "on_loan")
        retry = loan.model_copy(update={"event_id": "retry"})  # same request_id, after the dedupe window
        again = await hub.handle(retry)
        assert kinds(again) == [("request_pending", "trebes")]
        assert kinds(await trebes.handle(*again)) == [("command_rejected", "duplicate")]
        # Registered at the hub for a site with its own node: that node registers it.
        passed = await hub.handle(register("TR-2", site="trebes"))
        assert kinds(passed) == [("request_pending", "trebes")]
        assert kinds(await trebes.handle(*passed)) == [("asset_registered", None)]


async def test_a_tag_the_hub_never_heard_of_is_decided_by_the_site_that_holds_it(
    database_url: str, tmp_path: Path
) -> None:
    async with (
        nodes(database_url, tmp_path) as (hub, trebes),
        inventory_bench(f"sqlite+aiosqlite:///{tmp_path / 'conques.sqlite3'}", site="conques") as conques,
    ):
        await trebes.handle(register("TR-3", site="trebes"))  # the hub has not heard of it yet
        pending = await hub.handle(at_hub(inv.AssetEditRequested(asset_tag="TR-3", serial="SN-NEW")))
        assert kinds(pending) == [("request_pending", None)]
        assert await conques.handle(*pending) == []
        assert kinds(await trebes.handle(*pending)) == [("asset_edited", None)]


async def test_a_site_answers_at_once_what_no_other_node_will_see(database_url: str, tmp_path: Path) -> None:
    async with nodes(database_url, tmp_path) as (hub, trebes):
        await trebes.handle(*await hub.handle(register("HUB-1")))
        out = await trebes.handle(
            lend("HUB-1"), inv.AssetEditRequested(asset_tag="HUB-1", serial="x"), register("HUB-2", site="hub"),
            register("NAR-1", site="narbonne"), inv.TransferReceiveRequested(transfer_id="T-0", site="trebes",
                                                                             asset_tags=["HUB-1"]),
        )
        assert kinds(out) == [("conflict_detected", None), ("command_rejected", "not_held"),
                              ("command_rejected", "not_held"), ("command_rejected", "unknown_site"),
                              ("command_rejected", "unknown_transfer")]
        conflict = out[0]
        assert isinstance(conflict, inv.ConflictDetected) and (conflict.node_site, conflict.holding_site) == (
            "trebes", "hub")
        assert [(f.type, f.origin) for f in conflict.facts] == [
            ("inventory.asset_registered", "hub"), ("inventory.loan_checkout_requested", "trebes")]
        assert await place(trebes, "HUB-1") == ("hub", "available")
        # Staff at the hub resolve it: the site that detected it follows it, so it decides.
        await hub.handle(conflict)
        resolve = inv.ConflictResolveRequested(conflict_id=conflict.conflict_id, resolution="prêt refait au pôle")
        pending = await hub.handle(resolve)
        assert kinds(pending) == [("request_pending", "trebes")]
        resolved = await trebes.handle(*pending)
        assert kinds(resolved) == [("conflict_resolved", None)]
        await hub.handle(*resolved)
        async with hub.service.engine.connect() as conn:
            assert (await queries.figures(conn, hub.clock()))["conflicts_open"] == 0


async def test_the_same_tag_registered_at_two_nodes_is_one_conflict_reported_by_the_hub(
    database_url: str, tmp_path: Path
) -> None:
    async with nodes(database_url, tmp_path) as (hub, trebes):
        at_the_hub = await hub.handle(register("DUP-1"))
        at_the_site = await trebes.handle(register("DUP-1", site="trebes"))
        reported = await hub.handle(*at_the_site)
        assert kinds(reported) == [("conflict_detected", None)]
        assert await trebes.handle(*at_the_hub) == [], "the site leaves it to the hub"
        assert await hub.handle(*await trebes.handle(lend("DUP-1"))) == [], "one open conflict per asset"
        assert await trebes.handle(*reported) == []
        async with trebes.service.engine.connect() as conn:
            assert (await queries.figures(conn, trebes.clock(), "trebes"))["conflicts_open"] == 1
        assert (await place(hub, "DUP-1"), await place(trebes, "DUP-1")) == (
            ("hub", "available"), ("trebes", "on_loan")), "nothing overwritten: staff decide"


async def test_a_sender_declaring_lost_what_the_hub_received(database_url: str, tmp_path: Path) -> None:
    async with nodes(database_url, tmp_path) as (hub, trebes):
        await hub.handle(*await trebes.handle(register("TR-9", site="trebes")))
        parcel = inv.TransferDispatchRequested(transfer_id="T-9", to_site="hub", asset_tags=["TR-9"])
        await hub.handle(*await trebes.handle(parcel))
        received = await hub.handle(inv.TransferReceiveRequested(transfer_id="T-9", site="hub", asset_tags=["TR-9"]))
        assert kinds(received) == [("transfer_received", None)]
        lost = await trebes.handle(inv.AssetRetireRequested(asset_tag="TR-9", lost=True))  # before hearing of it
        clash = await hub.handle(*lost)
        assert kinds(clash) == [("conflict_detected", None)]
        assert isinstance(clash[0], inv.ConflictDetected) and clash[0].action == "inventory.asset_retired"
        assert await trebes.handle(*received) == []
        assert await place(hub, "TR-9") == await place(trebes, "TR-9") == ("hub", "available")


async def test_only_the_holder_reminds_and_only_the_sender_alerts(database_url: str, tmp_path: Path) -> None:
    async with nodes(database_url, tmp_path) as (hub, trebes):
        await hub.handle(*await trebes.handle(register("TR-5", site="trebes")))
        await hub.handle(*await trebes.handle(lend("TR-5", due_date=date(2026, 12, 10))))
        await trebes.handle(*await hub.handle(register("HUB-5")))
        parcel = inv.TransferDispatchRequested(transfer_id="T-5", to_site="trebes", asset_tags=["HUB-5"])
        await trebes.handle(*await hub.handle(parcel))
        for bench in (hub, trebes):
            bench.clock.advance(timedelta(days=12))
        assert kinds(await trebes.run_deadlines()) == [("loan_overdue", None)]
        assert kinds(await hub.run_deadlines()) == [("transfer_not_received", None)]
        async with hub.service.engine.connect() as conn:
            loans = await queries.active_loans(conn, hub.clock(), overdue_only=True)
        assert [(loan.asset_tag, loan.site) for loan in loans] == [("TR-5", "trebes")], "the hub sees it"


async def test_a_site_reserves_its_own_equipment_for_the_hub_and_the_hub_sees_it_set_aside(
    database_url: str, tmp_path: Path
) -> None:
    async with nodes(database_url, tmp_path) as (hub, trebes):
        await hub.handle(*await trebes.handle(register("TR-7", site="trebes")))
        start = trebes.clock() + timedelta(days=1)
        wish = inv.ReservationRequested(reservation_id="R-7", asset_tags=["TR-7"], starts_at=start,
                                        ends_at=start + timedelta(hours=2))
        confirmed = await trebes.handle(*await hub.handle(wish))
        assert kinds(confirmed) == [("reservation_confirmed", None)]
        by_kind = inv.ReservationRequested(kind="tablet", quantity=1, starts_at=start,
                                           ends_at=start + timedelta(hours=2))
        assert kinds(await hub.handle(by_kind)) == [("command_rejected", "not_enough_assets")], "the hub's own only"
        trebes.clock.advance(timedelta(hours=23))
        held = await trebes.run_deadlines()
        assert kinds(held) == [("reservation_held", None)]
        await hub.handle(*held)  # the streams carry only the facts the hub follows
        assert await place(hub, "TR-7") == ("trebes", "reserved")
        cancel = await hub.handle(inv.ReservationCancelRequested(reservation_id="R-7"))
        assert kinds(cancel) == [("request_pending", None)], "the hub never made it: whoever did decides"
        cancelled = await trebes.handle(*cancel)
        assert kinds(cancelled) == [("reservation_cancelled", "staff")]
        assert isinstance(cancelled[0], inv.ReservationCancelled) and cancelled[0].released == ["TR-7"]
        await hub.handle(*cancelled)
        assert await place(hub, "TR-7") == await place(trebes, "TR-7") == ("trebes", "available")
