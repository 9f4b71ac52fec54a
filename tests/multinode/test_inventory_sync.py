"""Inventory across nodes (issue 6): a hub and a site on loopback, the site's link cut and restored.

Who decides what is ``services/inventory/ownership.py``; how copies follow other nodes' facts and who
reports a clash, ``replica.py``/``copies.py``. Real nats-servers, SQLite at both nodes, no sleeps."""

from collections import Counter
from typing import Any

from sqlalchemy import func, select

from maillage.node import Node
from services.inventory import queries, store, tables
from shared import network as net
from shared.contract import inventory as inv
from shared.contract.envelope import Request
from shared.requests import publish_request
from shared.service import RunningService
from tests.support.bus import eventually, of_type, stream_events
from tests.support.inventory import lend, register
from tests.support.multinode import Network, network

SERVICES = ("booking", "inventory")


def inventory(node: Node) -> RunningService:
    return next(s for s in node.running if s.definition.name == "inventory")


async def send(node: Node, request: Request) -> None:
    assert node.js is not None
    await publish_request(node.js, request.model_copy(update={"origin": node.settings.site}))


async def events(node: Node, stream: str, *types: str) -> list[dict[str, Any]]:
    assert node.js is not None
    found = await stream_events(node.js, stream, "tl.*.inventory.>")
    return of_type(found, *types) if types else found


async def answers(node: Node, stream: str, request: Request) -> list[dict[str, Any]]:
    return [e for e in await events(node, stream) if e.get("request_id") == request.request_id
            and e["type"] != request.TYPE]


async def places(node: Node) -> dict[str, tuple[str, str]]:
    """Every asset this node knows of (its own and its copies): tag → (holding site, status)."""
    async with inventory(node).engine.connect() as conn:
        rows = await conn.execute(select(tables.assets.c.asset_tag, tables.assets.c.site, tables.assets.c.status))
        return {tag: (site, status) for tag, site, status in rows}


async def busy(node: Node) -> int:
    """Messages this node's inventory has not finished with: unhandled input, unsent output."""
    assert node.js is not None
    service = inventory(node)
    outbox = store.messaging.outbox
    count = 0
    assert node.group is not None
    for consumer in node.group.consumers:
        info = await node.js.consumer_info(consumer.delivery.stream, consumer.durable)
        count += (info.num_pending or 0) + (info.num_ack_pending or 0)
    async with service.engine.connect() as conn:
        count += await conn.scalar(select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))) or 0
    return count


async def quiet(n: Network) -> None:
    """Both nodes idle and each one's inventory facts at the other end: nothing more can happen."""
    hub, trebes = n.hub, n.sites["trebes"]

    async def probe() -> tuple[int, bool]:
        idle = await busy(hub) + await busy(trebes)
        down = {e["event_id"] for e in await events(hub, "TL_HUB")} <= {
            e["event_id"] for e in await events(trebes, net.hub_copy_stream_name("trebes"))}
        up = {e["event_id"] for e in await events(trebes, "TL_TREBES")} <= {
            e["event_id"] for e in await events(hub, net.NETWORK_STREAM)}
        return idle, down and up

    for _ in range(2):  # twice: what the first look saw arriving was handled, and produced nothing new
        await eventually(probe, lambda v: v == (0, True), 60, "both nodes quiet and in sync")


async def test_a_transfer_dispatched_while_the_site_is_cut_off_is_received_after_reconnection(tmp_path: Any) -> None:
    async with network(tmp_path, sites=("trebes",), hub_services=SERVICES, site_services=SERVICES) as n:
        hub, trebes = n.hub, n.sites["trebes"]
        box = ["TAB-01", "TAB-02", "TAB-03"]
        for tag in box:
            await send(hub, register(tag))
        await eventually(lambda: places(trebes), lambda p: all(p.get(t) == ("hub", "available") for t in box),
                         30, "the hub's tablets known at the site (read copies)")

        n.proxies["trebes"].cut()
        await send(hub, inv.TransferDispatchRequested(transfer_id="T-1", to_site="trebes", asset_tags=box))
        by_phone = inv.TransferReceiveRequested(transfer_id="T-1", site="trebes", asset_tags=["TAB-03"])
        await send(hub, by_phone)  # the hub's staff note what Trèbes said on the phone: Trèbes decides
        pending = await eventually(lambda: answers(hub, "TL_HUB", by_phone), lambda a: len(a) == 1)
        assert (pending[0]["type"], pending[0]["owner_site"]) == ("inventory.request_pending", "trebes")
        too_early = inv.TransferReceiveRequested(transfer_id="T-1", site="trebes", asset_tags=["TAB-01"])
        await send(trebes, too_early)  # the van was faster than the line: the site does not know T-1 yet
        refused = await eventually(lambda: answers(trebes, "TL_TREBES", too_early), lambda a: len(a) == 1)
        assert refused[0]["reason"] == "unknown_transfer"

        n.proxies["trebes"].restore()
        decided = await eventually(lambda: answers(trebes, "TL_TREBES", by_phone), lambda a: len(a) == 1, 60,
                                   "the site deciding the hub's pending receipt once the link is back")
        assert (decided[0]["type"], decided[0]["asset_tags"]) == ("inventory.transfer_received", ["TAB-03"])
        for tag in ("TAB-01", "TAB-02"):  # scanned in item by item
            await send(trebes, inv.TransferReceiveRequested(transfer_id="T-1", site="trebes", asset_tags=[tag]))
        await eventually(lambda: places(hub), lambda p: all(p[t] == ("trebes", "available") for t in box), 60,
                         "the hub seeing the holding site change")
        await send(trebes, lend("TAB-01"))  # Trèbes holds it now: it lends it without asking anyone
        await quiet(n)

        network_events = await events(hub, net.NETWORK_STREAM)
        received = of_type(network_events, "inventory.transfer_received")
        assert sorted(tag for e in received for tag in e["asset_tags"]) == box, "each item received exactly once"
        assert {e["origin"] for e in received} == {"trebes"} and received[-1]["still_in_transit"] == []
        assert of_type(network_events, "inventory.conflict_detected") == []
        assert [e["reason"] for e in of_type(network_events, "inventory.command_rejected")] == ["unknown_transfer"]
        assert await places(hub) == await places(trebes) == {
            "TAB-01": ("trebes", "on_loan"), "TAB-02": ("trebes", "available"), "TAB-03": ("trebes", "available")}
        async with inventory(hub).engine.connect() as conn:
            assert (await queries.figures(conn, inventory(hub).now()))["in_transit"] == 0
            sheet = await queries.asset_sheet(conn, "TAB-01")
        assert sheet is not None and sheet.loan is not None and sheet.loan.site == "trebes"
        assert [(h.event_type, h.site) for h in sheet.history][-3:] == [
            ("inventory.transfer_dispatched", "hub"), ("inventory.transfer_received", "trebes"),
            ("inventory.loan_checked_out", "trebes")]


async def test_a_cut_off_site_lends_and_takes_back_and_the_hub_shows_the_same(tmp_path: Any) -> None:
    async with network(tmp_path, sites=("trebes",), hub_services=SERVICES, site_services=SERVICES) as n:
        hub, trebes = n.hub, n.sites["trebes"]
        laptops = ["TR-PC1", "TR-PC2", "TR-PC3"]
        for tag in laptops:
            await send(trebes, register(tag, kind="laptop", site="trebes"))
        from_hub = register("TR-PC9", kind="laptop", site="trebes")
        await send(hub, from_hub)  # entered at the hub for Trèbes: Trèbes' node registers it
        await eventually(lambda: places(hub), lambda p: len(p) == 4, 30, "the site's laptops known at the hub")

        n.proxies["trebes"].cut()
        await send(trebes, lend("TR-PC1", n=1))
        await send(trebes, lend("TR-PC2", n=2))
        await send(trebes, inv.LoanReturnRequested(asset_tag="TR-PC1", condition="worn"))
        await send(trebes, inv.RepairSendRequested(asset_tag="TR-PC3", notes="clavier"))
        await eventually(lambda: events(trebes, "TL_TREBES", "inventory.loan_returned", "inventory.sent_to_repair"),
                         lambda e: len(e) == 2, 30, "the site working offline")
        at_hub = lend("TR-PC2", n=3)
        await send(hub, at_hub)  # TR-PC2 is Trèbes': the hub passes the loan on, Trèbes will decide
        pending = await eventually(lambda: answers(hub, "TL_HUB", at_hub), lambda a: len(a) == 1)
        assert (pending[0]["type"], pending[0]["owner_site"]) == ("inventory.request_pending", "trebes")

        n.proxies["trebes"].restore()
        await quiet(n)
        expected = {"TR-PC1": ("trebes", "available"), "TR-PC2": ("trebes", "on_loan"),
                    "TR-PC3": ("trebes", "in_maintenance"), "TR-PC9": ("trebes", "available")}
        assert await places(hub) == await places(trebes) == expected
        decided = await answers(hub, net.NETWORK_STREAM, at_hub)
        assert [(e["type"], e["origin"], e.get("reason")) for e in decided] == [
            ("inventory.request_pending", "hub", None), ("inventory.command_rejected", "trebes", "not_available")]
        async with inventory(hub).engine.connect() as hub_conn, inventory(trebes).engine.connect() as site_conn:
            hub_loans = await queries.active_loans(hub_conn, inventory(hub).now(), site="trebes")
            site_loans = await queries.active_loans(site_conn, inventory(trebes).now())
            hub_sheet = await queries.asset_sheet(hub_conn, "TR-PC1")
        assert [(lo.loan_id, lo.asset_tag, lo.citizen_id) for lo in hub_loans] == [
            (lo.loan_id, lo.asset_tag, lo.citizen_id) for lo in site_loans] == [
            (site_loans[0].loan_id, "TR-PC2", "cit-000002")]
        assert hub_sheet is not None and hub_sheet.asset.condition == "worn"
        counts = Counter(e["type"] for e in await events(hub, net.NETWORK_STREAM))
        assert counts["inventory.asset_registered"] == 4 and counts["inventory.conflict_detected"] == 0


async def test_an_asset_lent_at_a_stale_site_yields_one_conflict(tmp_path: Any) -> None:
    async with network(tmp_path, sites=("trebes",), hub_services=SERVICES, site_services=SERVICES) as n:
        hub, trebes = n.hub, n.sites["trebes"]
        for tag in ("TAB-X", "TAB-Y"):
            await send(hub, register(tag))
        await send(hub, inv.TransferDispatchRequested(transfer_id="T-X", to_site="trebes", asset_tags=["TAB-X"]))
        await eventually(lambda: places(trebes), lambda p: p.get("TAB-X") == ("hub", "in_transit") and "TAB-Y" in p,
                         30, "the site knowing both tablets and the parcel on its way")

        n.proxies["trebes"].cut()
        # X: Trèbes scans the parcel in and lends it, while the hub, hearing nothing, declares it lost.
        await send(trebes, inv.TransferReceiveRequested(transfer_id="T-X", site="trebes", asset_tags=["TAB-X"]))
        await send(trebes, lend("TAB-X", n=1))
        await send(hub, inv.AssetRetireRequested(asset_tag="TAB-X", lost=True, reason="jamais arrivée"))
        # Y: the hub sends it; the van arrives before the line is back; Trèbes' records still say "at the hub".
        await send(hub, inv.TransferDispatchRequested(transfer_id="T-Y", to_site="trebes", asset_tags=["TAB-Y"]))
        await send(trebes, lend("TAB-Y", n=2))
        await eventually(lambda: events(hub, "TL_HUB", "inventory.asset_retired", "inventory.transfer_dispatched"),
                         lambda e: len(e) == 3)
        await eventually(lambda: events(trebes, "TL_TREBES", "inventory.loan_checked_out",
                                        "inventory.conflict_detected"), lambda e: len(e) == 2)

        n.proxies["trebes"].restore()
        await quiet(n)
        conflicts = of_type(await events(hub, net.NETWORK_STREAM), "inventory.conflict_detected")
        by_tag = {c["asset_tag"]: c for c in conflicts}
        assert len(conflicts) == 2 and set(by_tag) == {"TAB-X", "TAB-Y"}, "exactly one conflict per asset"
        x, y = by_tag["TAB-X"], by_tag["TAB-Y"]
        # X: two facts that each node decided rightly; the hub, which sees both, reports it.
        assert (x["origin"], x["action"], x["holding_site"], x["recorded_status"]) == (
            "hub", "inventory.transfer_received", "hub", "lost")
        assert [(f["type"], f["origin"]) for f in x["facts"]] == [
            ("inventory.asset_retired", "hub"), ("inventory.transfer_received", "trebes")]
        # Y: an action at a node whose record says another holds it; that node reports it, at once.
        assert (y["origin"], y["action"], y["holding_site"], y["recorded_status"]) == (
            "trebes", "inventory.loan_checkout_requested", "hub", "available")
        assert [(f["type"], f["origin"]) for f in y["facts"]] == [
            ("inventory.asset_registered", "hub"), ("inventory.loan_checkout_requested", "trebes")]
        # Nothing else changed: the scan stands (X is where it was scanned, lent); Y was not lent.
        assert await places(hub) == await places(trebes) == {
            "TAB-X": ("trebes", "on_loan"), "TAB-Y": ("hub", "in_transit")}
        loans = of_type(await events(hub, net.NETWORK_STREAM), "inventory.loan_checked_out")
        assert [e["asset_tag"] for e in loans] == ["TAB-X"]
        for node, scope in ((hub, None), (trebes, "trebes")):  # the gauges: Trèbes has a part in both
            async with inventory(node).engine.connect() as conn:
                assert (await queries.figures(conn, inventory(node).now(), scope))["conflicts_open"] == 2
