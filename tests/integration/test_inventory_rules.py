"""Inventory handlers through the service's bus on a real database (SQLite, and PostgreSQL when set),
without NATS: what each request changes, emits and refuses, batch by batch."""

from datetime import timedelta
from decimal import Decimal

from prometheus_client import REGISTRY

from services.inventory import app as inventory_app
from services.inventory import queries, tables
from shared.contract import booking as bk
from shared.contract import inventory as inv
from shared.contract.envelope import Event
from shared.migrations import head, schema_differences
from tests.support.inventory import InventoryBench, inventory_bench, lend, register


def types(events: list[Event]) -> list[str]:
    return [e.TYPE.removeprefix("inventory.") for e in events]


def reasons(events: list[Event]) -> list[str]:
    return [e.reason for e in events if isinstance(e, inv.InventoryCommandRejected)]


async def status_of(bench: InventoryBench, tag: str) -> tuple[str, str]:
    async with bench.service.engine.connect() as conn:
        sheet = await queries.asset_sheet(conn, tag)
    assert sheet is not None
    return sheet.asset.status, sheet.asset.site


async def test_assets_are_registered_edited_and_retired_with_reasons_for_bad_input(database_url: str) -> None:
    async with inventory_bench(database_url) as b:
        out = await b.handle(
            register("TAB-1"), register("TAB-1"), register("TAB-2", price="-5.00"), register("TAB-3", site="paris"),
        )
        assert types(out) == ["asset_registered", "command_rejected", "command_rejected", "command_rejected"]
        assert reasons(out) == ["duplicate_tag", "negative_price", "unknown_site"]
        out = await b.handle(
            inv.AssetEditRequested(asset_tag="TAB-1", serial="SN-NEW", purchase_price=Decimal("310.00")),
            inv.AssetEditRequested(asset_tag="TAB-1", serial="SN-NEW"),
            inv.AssetEditRequested(asset_tag="TAB-1", purchase_price=Decimal("-1")),
            inv.AssetEditRequested(asset_tag="NOPE", serial="x"),
        )
        assert types(out)[0] == "asset_edited" and out[0].changed == ["serial", "purchase_price"]  # type: ignore[attr-defined]
        assert reasons(out) == ["no_change", "negative_price", "unknown_tag"]
        await b.handle(lend("TAB-1"))
        lost = await b.one(inv.AssetRetireRequested(asset_tag="TAB-1", lost=True, reason="jamais revenue"))
        assert isinstance(lost, inv.AssetRetired) and (lost.status, lost.previous_status) == ("lost", "on_loan")
        assert lost.closed_loan_id is not None
        async with b.service.engine.connect() as conn:
            assert await queries.active_loans(conn, b.clock()) == []  # the loan closed as lost
        retired = await b.one(inv.AssetRetireRequested(asset_tag="TAB-1"))
        assert isinstance(retired, inv.AssetRetired) and retired.status == "retired"


async def test_a_request_answered_once_is_a_duplicate_after(database_url: str) -> None:
    async with inventory_bench(database_url) as b:
        await b.handle(register("TAB-1"))
        checkout = lend("TAB-1")
        retry = checkout.model_copy(update={"event_id": "retry-1"})  # same request_id, new message
        out = await b.handle(checkout, retry)
        assert types(out) == ["loan_checked_out", "command_rejected"] and reasons(out) == ["duplicate"]


async def test_reservations_never_double_book_even_within_one_batch(database_url: str) -> None:
    async with inventory_bench(database_url) as b:
        await b.handle(*(register(f"TAB-{n}") for n in range(1, 6)), register("PC-1", kind="laptop"))
        start = b.clock() + timedelta(days=7)
        window = {"starts_at": start, "ends_at": start + timedelta(hours=3)}
        out = await b.handle(
            inv.ReservationRequested(asset_tags=["TAB-1"], **window),
            inv.ReservationRequested(asset_tags=["TAB-1"], starts_at=start + timedelta(hours=1),
                                     ends_at=start + timedelta(hours=5)),
            inv.ReservationRequested(kind="tablet", quantity=2, **window),
            inv.ReservationRequested(kind="tablet", quantity=2, **window),
            inv.ReservationRequested(kind="tablet", quantity=1, **window),
            inv.ReservationRequested(kind="tablet", quantity=1, starts_at=start + timedelta(hours=3),
                                     ends_at=start + timedelta(hours=4)),
        )
        assert types(out) == ["reservation_confirmed", "command_rejected", "reservation_confirmed",
                              "reservation_confirmed", "command_rejected", "reservation_confirmed"]
        assert reasons(out) == ["overlap", "not_enough_assets"]
        booked = [e.asset_tags for e in out if isinstance(e, inv.ReservationConfirmed)]  # type: ignore[attr-defined]
        same_window = [tag for tags in booked[:3] for tag in tags]
        assert sorted(same_window) == ["TAB-1", "TAB-2", "TAB-3", "TAB-4", "TAB-5"]
        assert booked[3] == ["TAB-1"]  # back to back with the first one: free again


async def test_reserved_items_are_set_aside_then_released_and_block_loans_and_parcels(database_url: str) -> None:
    async with inventory_bench(database_url) as b:
        await b.handle(register("TAB-1"), register("TAB-2"))
        start = b.clock() + timedelta(days=2)
        res = inv.ReservationRequested(reservation_id="RES-1", asset_tags=["TAB-1", "TAB-2"], starts_at=start,
                                       ends_at=start + timedelta(hours=2), workshop_id="w-tablette")
        await b.handle(res)
        out = await b.handle(lend("TAB-1"), inv.TransferDispatchRequested(to_site="trebes", asset_tags=["TAB-2"]))
        assert reasons(out) == ["reserved", "reserved"]
        b.clock.advance(timedelta(days=2, hours=-1))
        held = await b.run_deadlines()
        assert types(held) == ["reservation_held"] and held[0].asset_tags == ["TAB-1", "TAB-2"]  # type: ignore[attr-defined]
        assert await status_of(b, "TAB-1") == ("reserved", "hub")
        assert await b.run_deadlines() == []
        b.clock.advance(timedelta(hours=1, minutes=5))
        workshop_use = await b.one(lend("TAB-1", mode="on_site", reservation_id="RES-1"))
        assert isinstance(workshop_use, inv.LoanCheckedOut) and workshop_use.mode == "on_site"
        b.clock.advance(timedelta(hours=2))
        ended = await b.run_deadlines()
        assert types(ended) == ["reservation_ended"] and ended[0].asset_tags == ["TAB-2"]  # type: ignore[attr-defined]
        assert await status_of(b, "TAB-2") == ("available", "hub")
        assert await status_of(b, "TAB-1") == ("in_use_on_site", "hub")


async def test_a_cancelled_workshop_releases_its_equipment(database_url: str) -> None:
    async with inventory_bench(database_url) as b:
        await b.handle(register("TAB-1"), register("TAB-2"))
        start = b.clock() + timedelta(days=2)
        await b.handle(inv.ReservationRequested(kind="tablet", quantity=2, starts_at=start,
                                                ends_at=start + timedelta(hours=2), workshop_id="w-42"))
        cancelled = bk.WorkshopCancelled(request_id="r-cancel", workshop_id="w-42", site="hub", reason="",
                                         bookings_released=0)
        out = await b.handle(cancelled)
        assert types(out) == ["reservation_cancelled"] and out[0].reason == "workshop_cancelled"  # type: ignore[attr-defined]
        again = await b.handle(inv.ReservationRequested(kind="tablet", quantity=2, starts_at=start,
                                                        ends_at=start + timedelta(hours=2)))
        assert types(again) == ["reservation_confirmed"]


async def test_a_rescheduled_workshop_takes_its_equipment_along_when_it_is_free(database_url: str) -> None:
    async with inventory_bench(database_url) as b:
        await b.handle(register("TAB-1"), register("TAB-2"))
        day = b.clock() + timedelta(days=7)
        await b.handle(
            inv.ReservationRequested(asset_tags=["TAB-1", "TAB-2"], starts_at=day, ends_at=day + timedelta(hours=2),
                                     workshop_id="w-7"),
            inv.ReservationRequested(asset_tags=["TAB-2"], starts_at=day + timedelta(days=1),
                                     ends_at=day + timedelta(days=1, hours=2)),
        )

        def rescheduled(shift: timedelta) -> bk.WorkshopRescheduled:
            return bk.WorkshopRescheduled(request_id=f"r-{shift}", workshop_id="w-7", site="hub", room="Salle 1",
                                          starts_at=day + shift, ends_at=day + shift + timedelta(hours=2))

        moved = await b.one(rescheduled(timedelta(hours=3)))
        assert isinstance(moved, inv.ReservationMoved) and moved.asset_tags == ["TAB-1", "TAB-2"]
        cancelled = await b.one(rescheduled(timedelta(days=1, hours=1)))  # TAB-2 is taken then
        assert isinstance(cancelled, inv.ReservationCancelled) and cancelled.reason == "workshop_rescheduled"
        assert await b.handle(rescheduled(timedelta(days=2))) == []  # nothing reserved any more


async def test_repairs_and_audits(database_url: str) -> None:
    async with inventory_bench(database_url) as b:
        await b.handle(register("TAB-1"), register("TAB-2"), register("TAB-3"), register("TAB-9", site="trebes"))
        sent = await b.one(inv.RepairSendRequested(asset_tag="TAB-1", notes="écran fêlé", repairer="Répar'Aude"))
        assert isinstance(sent, inv.SentToRepair)
        out = await b.handle(
            inv.RepairReturnRequested(asset_tag="TAB-1", cost=Decimal("-3")),
            inv.RepairReturnRequested(asset_tag="TAB-2"),
        )
        assert reasons(out) == ["negative_amount", "not_in_maintenance"]
        b.clock.advance(timedelta(days=8))
        back = await b.one(inv.RepairReturnRequested(asset_tag="TAB-1", cost=Decimal("79.90"), notes="écran"))
        assert isinstance(back, inv.BackFromRepair) and (back.days_away, back.cost) == (8, Decimal("79.90"))
        await b.handle(lend("TAB-2"))
        report = await b.one(inv.AuditSubmitted(site="hub", scanned_tags=["TAB-1", "TAB-2", "TAB-9", "ZZZ"]))
        assert isinstance(report, inv.AuditCompleted)
        assert (report.expected, report.missing) == (2, ["TAB-3"])
        assert [(f.asset_tag, f.recorded_status) for f in report.unexpected] == [("TAB-2", "on_loan"), ("ZZZ", None)]
        assert [(f.asset_tag, f.recorded_site) for f in report.wrong_site] == [("TAB-9", "trebes")]
        assert reasons(await b.handle(inv.AuditSubmitted(site="paris", scanned_tags=[]))) == ["unknown_site"]


async def test_actions_on_assets_held_elsewhere(database_url: str) -> None:
    async with inventory_bench(database_url) as b:
        await b.handle(register("TAB-9", site="trebes"))
        out = await b.handle(
            inv.RepairSendRequested(asset_tag="TAB-9"),
            inv.TransferDispatchRequested(to_site="hub", asset_tags=["TAB-9"]),
            inv.AssetEditRequested(asset_tag="TAB-9", serial="x"),
            inv.ReservationRequested(asset_tags=["TAB-9"], starts_at=b.clock() + timedelta(days=1),
                                     ends_at=b.clock() + timedelta(days=1, hours=1)),
        )
        # Facts from the floor are conflicts for staff; wishes are simply refused.
        assert types(out) == ["conflict_detected", "conflict_detected", "command_rejected", "command_rejected"]
        assert reasons(out) == ["not_held", "not_held"]
        assert await status_of(b, "TAB-9") == ("available", "trebes")
        conflict_id = out[0].conflict_id  # type: ignore[attr-defined]
        out = await b.handle(
            inv.ConflictResolveRequested(conflict_id=conflict_id, resolution="réparé à Trèbes, rien à faire"),
            inv.ConflictResolveRequested(conflict_id=conflict_id, resolution="bis"),
            inv.ConflictResolveRequested(conflict_id="nope", resolution="?"),
        )
        assert types(out) == ["conflict_resolved", "command_rejected", "command_rejected"]
        assert reasons(out) == ["already_resolved", "unknown_conflict"]
        await inventory_app.refresh_gauges(b.service)  # type: ignore[arg-type]
        labels = {"service": "inventory", "site": "hub"}
        assert REGISTRY.get_sample_value("maillage_inventory_conflicts_open", labels) == 1.0
        assert REGISTRY.get_sample_value(
            "maillage_inventory_assets", {**labels, "holding_site": "trebes", "status": "available"}
        ) == 1.0


async def test_repeated_conflicts_on_one_asset_cite_its_state_not_each_other(database_url: str) -> None:
    # The fact "on record" in a conflict is the asset's last state change, never the previous conflict:
    # citing it nested every conflict in the next, until one could no longer be written (soak: 209
    # acknowledged requests dead-lettered with "Circular reference detected (depth exceeded)").
    async with inventory_bench(database_url) as b:
        await b.handle(register("TAB-9", site="trebes"))
        for _ in range(100):
            out = await b.handle(inv.RepairSendRequested(asset_tag="TAB-9"))
            assert types(out) == ["conflict_detected"]
            facts = out[0].facts  # type: ignore[attr-defined]
            assert [f.type for f in facts] == ["inventory.asset_registered", "inventory.repair_send_requested"]


async def test_history_tells_where_an_asset_has_been(database_url: str) -> None:
    async with inventory_bench(database_url) as b:
        await b.handle(register("TAB-1"))
        parcel = inv.TransferDispatchRequested(transfer_id="T1", to_site="trebes", asset_tags=["TAB-1"])
        dispatched = await b.one(parcel)
        assert isinstance(dispatched, inv.TransferDispatched)
        await b.handle(inv.TransferReceiveRequested(transfer_id="T1", site="trebes", asset_tags=["TAB-1"]))
        async with b.service.engine.connect() as conn:
            sheet = await queries.asset_sheet(conn, "TAB-1")
        assert sheet is not None and (sheet.asset.site, sheet.asset.status) == ("trebes", "available")
        assert [(h.event_type, h.site, h.status) for h in sheet.history] == [
            ("inventory.asset_registered", "hub", "available"),
            ("inventory.transfer_dispatched", "hub", "in_transit"),
            ("inventory.transfer_received", "trebes", "available"),
        ]


async def test_the_migrations_build_exactly_the_tables_of_the_code(database_url: str) -> None:
    async with inventory_bench(database_url) as b:
        assert await schema_differences(b.service.engine, "inventory", tables.metadata) == []
        assert head("inventory") == "inventory_0002"
