"""Issue 3's acceptance, against a real nats-server and a real database (an injectable clock, no sleeps)."""

from collections import Counter
from datetime import timedelta
from decimal import Decimal
from typing import Any

from prometheus_client import REGISTRY

from services.inventory import queries
from services.inventory.app import check_deadlines, refresh_gauges
from shared.contract import inventory as inv
from shared.natsserver import EmbeddedNatsServer
from shared.topology import DLQ_STREAM
from tests.support.inventory import InventoryHarness, inventory_service, lend, register

GAUGE = {"service": "inventory", "site": "hub"}


async def where(h: InventoryHarness, tag: str) -> tuple[str, str]:
    async with h.service.engine.connect() as conn:
        sheet = await queries.asset_sheet(conn, tag)
    assert sheet is not None
    return sheet.asset.site, sheet.asset.status


async def count(h: InventoryHarness, *types: str) -> Counter[str]:
    return Counter(e["type"] for e in await h.events(*types))


async def test_a_box_of_ten_with_one_item_never_received(nats_server: EmbeddedNatsServer, database_url: str) -> None:
    async with inventory_service(nats_server.url, database_url, transfer_alert_days=3) as h:
        box = [f"TAB-{n:02d}" for n in range(10)]
        for tag in box:
            await h.send(register(tag))
        await h.wait_for("inventory.asset_registered", count=10)
        dispatched = await h.answer(inv.TransferDispatchRequested(transfer_id="T-1", to_site="trebes", asset_tags=box))
        assert dispatched["type"] == "inventory.transfer_dispatched" and dispatched["asset_tags"] == box

        h.clock.advance(timedelta(days=1))
        for tag in box:
            if tag != "TAB-07":  # lost on the way
                await h.send(inv.TransferReceiveRequested(transfer_id="T-1", site="trebes", asset_tags=[tag]))
        received = await h.wait_for("inventory.transfer_received", count=9)
        assert received[-1]["still_in_transit"] == ["TAB-07"]
        await h.service.run_job_once(check_deadlines)
        await h.settled()
        assert await h.events("inventory.transfer_not_received") == []  # not late yet

        h.clock.advance(timedelta(days=2, hours=1))  # three days and an hour after dispatch
        await h.service.run_job_once(check_deadlines)
        alert = (await h.wait_for("inventory.transfer_not_received", count=1))[0]
        assert (alert["transfer_id"], alert["asset_tags"], alert["days_in_transit"]) == ("T-1", ["TAB-07"], 3)
        await h.service.run_job_once(check_deadlines)
        h.clock.advance(timedelta(days=5))
        await h.service.run_job_once(check_deadlines)
        await h.settled()
        assert len(await h.events("inventory.transfer_not_received")) == 1

        places = Counter([await where(h, tag) for tag in box])
        assert places == {("trebes", "available"): 9, ("hub", "in_transit"): 1}
        await h.service.run_job_once(refresh_gauges)
        assert REGISTRY.get_sample_value("maillage_inventory_transfers_in_transit", GAUGE) == 1.0
        trebes = {**GAUGE, "holding_site": "trebes", "status": "available"}
        assert REGISTRY.get_sample_value("maillage_inventory_assets", trebes) == 9.0


async def test_loan_renewal_escalation_and_return_each_once_through_redeliveries_and_a_restart(
    nats_server: EmbeddedNatsServer, database_url: str
) -> None:
    async with inventory_service(nats_server.url, database_url) as h:
        duplicates_before = {t: h.consumed(t, "duplicate") for t in (
            inv.LoanCheckoutRequested.TYPE, inv.LoanRenewRequested.TYPE, inv.LoanReturnRequested.TYPE,
            inv.DeadlineCheckRequested.TYPE)}
        await h.send(register("PC-01", kind="laptop"))
        checkout = lend("PC-01", deposit=Decimal("50.00"))
        await h.send(checkout)
        loan = (await h.wait_for("inventory.loan_checked_out", count=1))[0]
        await h.redeliver(checkout)  # as if the ack had been lost: JetStream delivers it again
        assert loan["due_date"] == "2026-12-29" and loan["deposit"] == "50.00"

        renewal = inv.LoanRenewRequested(asset_tag="PC-01")
        await h.send(renewal)
        renewed = (await h.wait_for("inventory.loan_renewed", count=1))[0]
        await h.redeliver(renewal)
        await h.retry_late(renewal)
        assert renewed["due_date"] == "2027-01-26" and renewed["renewals"] == 1
        await h.settled()
        await h.restart()

        h.clock.advance(timedelta(days=55))  # 2027-01-25: due tomorrow
        await h.service.run_job_once(check_deadlines)
        await h.service.run_job_once(check_deadlines)
        await h.wait_for("inventory.loan_due_soon", count=1)
        h.clock.advance(timedelta(days=2))
        await h.service.run_job_once(check_deadlines)
        overdue = (await h.wait_for("inventory.loan_overdue", count=1))[0]
        assert overdue["days_overdue"] == 1 and overdue["citizen"]["citizen_id"] == "cit-000001"
        for request in await h.events("inventory.deadline_check_requested"):
            await h.redeliver(inv.DeadlineCheckRequested.model_validate(request), copy=2)
        await h.settled()
        await h.restart()
        await h.service.run_job_once(check_deadlines)

        h.clock.advance(timedelta(days=1))
        give_back = inv.LoanReturnRequested(asset_tag="PC-01", condition="worn")
        await h.send(give_back)
        returned = (await h.wait_for("inventory.loan_returned", count=1))[0]
        await h.redeliver(give_back)
        assert returned["days_late"] == 2 and returned["deposit_to_refund"] == "50.00"
        await h.service.run_job_once(check_deadlines)
        await h.settled()

        facts = await count(h, "inventory.loan_checked_out", "inventory.loan_renewed", "inventory.loan_due_soon",
                            "inventory.loan_overdue", "inventory.loan_long_overdue", "inventory.loan_returned")
        assert facts == Counter({"inventory.loan_checked_out": 1, "inventory.loan_renewed": 1,
                                 "inventory.loan_due_soon": 1, "inventory.loan_overdue": 1,
                                 "inventory.loan_returned": 1})
        rejected = await h.events("inventory.command_rejected")
        assert [(e["request_id"], e["reason"]) for e in rejected] == [(renewal.request_id, "duplicate")]
        # The redeliveries did reach the service, which recognised them (inbox) rather than JetStream dropping them.
        assert {t: h.consumed(t, "duplicate") - n >= 1 for t, n in duplicates_before.items()} == dict.fromkeys(
            duplicates_before, True)
        assert await where(h, "PC-01") == ("hub", "available")


async def test_overlapping_reservations_and_reservations_by_kind(
    nats_server: EmbeddedNatsServer, database_url: str
) -> None:
    async with inventory_service(nats_server.url, database_url) as h:
        for n in range(10):
            await h.send(register(f"TAB-{n:02d}"))
        await h.wait_for("inventory.asset_registered", count=10)
        start = h.clock() + timedelta(days=14)
        first = await h.answer(inv.ReservationRequested(
            asset_tags=["TAB-00"], starts_at=start, ends_at=start + timedelta(hours=3), workshop_id="w-1"))
        second = await h.answer(inv.ReservationRequested(
            asset_tags=["TAB-00"], starts_at=start + timedelta(hours=2), ends_at=start + timedelta(hours=4)))
        assert first["type"] == "inventory.reservation_confirmed"
        assert (second["type"], second["reason"]) == ("inventory.command_rejected", "overlap")
        assert "TAB-00" in second["detail"]

        by_kind = [
            inv.ReservationRequested(kind="tablet", quantity=3, starts_at=start, ends_at=start + timedelta(hours=3))
            for _ in range(4)
        ]
        for request in by_kind:  # sent back to back: they may land in one batch
            await h.send(request)
        answers = [await h.answer(request) for request in by_kind]
        confirmed = [a for a in answers if a["type"] == "inventory.reservation_confirmed"]
        refused = [a for a in answers if a["type"] == "inventory.command_rejected"]
        assert len(confirmed) == 3 and [r["reason"] for r in refused] == ["not_enough_assets"]
        tags = [tag for a in confirmed for tag in a["asset_tags"]]
        assert len(tags) == len(set(tags)) == 9 and "TAB-00" not in tags


async def test_lending_an_asset_held_elsewhere_is_one_conflict_and_nothing_else(
    nats_server: EmbeddedNatsServer, database_url: str
) -> None:
    async with inventory_service(nats_server.url, database_url) as h:
        registered = await h.answer(register("TAB-TR", site="trebes"))
        assert registered["type"] == "inventory.asset_registered"
        checkout = lend("TAB-TR", n=7)
        await h.send(checkout)
        await h.redeliver(checkout)
        await h.retry_late(checkout)
        conflict = (await h.wait_for("inventory.conflict_detected", count=1))[0]
        await h.settled()

        assert (conflict["holding_site"], conflict["node_site"], conflict["recorded_status"]) == (
            "trebes", "hub", "available")
        assert conflict["attempted"]["citizen"]["citizen_id"] == "cit-000007"
        answers: list[dict[str, Any]] = [
            e for e in await h.events() if e.get("request_id") == checkout.request_id and e["type"] != checkout.TYPE
        ]
        assert [(e["type"], e.get("reason")) for e in answers] == [
            ("inventory.conflict_detected", None), ("inventory.command_rejected", "duplicate")]
        assert await where(h, "TAB-TR") == ("trebes", "available")
        await h.service.run_job_once(refresh_gauges)
        assert REGISTRY.get_sample_value("maillage_inventory_conflicts_open", GAUGE) == 1.0
        assert REGISTRY.get_sample_value("maillage_inventory_loans", {**GAUGE, "state": "active"}) == 0.0

        resolved = await h.answer(inv.ConflictResolveRequested(
            conflict_id=conflict["conflict_id"], resolution="Prêt noté à Trèbes, transfert à régulariser"))
        assert resolved["type"] == "inventory.conflict_resolved"
        await h.service.run_job_once(refresh_gauges)
        assert REGISTRY.get_sample_value("maillage_inventory_conflicts_open", GAUGE) == 0.0


async def test_bad_input_gets_a_reason_and_later_messages_still_flow(
    nats_server: EmbeddedNatsServer, database_url: str
) -> None:
    async with inventory_service(nats_server.url, database_url) as h:
        await h.answer(register("TAB-01"))
        bad = {
            "unknown_tag": lend("NO-SUCH-TAG"),
            "not_on_loan": inv.LoanReturnRequested(asset_tag="TAB-01", condition="good"),
            "negative_price": register("TAB-02", price="-120.00"),
            "unknown_site": inv.TransferDispatchRequested(to_site="narbonne", asset_tags=["TAB-01"]),
        }
        for request in bad.values():
            await h.send(request)
        # Not even an event: dead-lettered with its reason, never blocking the stream.
        await h.js.publish("tl.hub.inventory.loan_checkout_requested", b"{not json")
        for reason, request in bad.items():
            answer = await h.answer(request)
            assert (answer["type"], answer["reason"], answer["request_type"]) == (
                "inventory.command_rejected", reason, request.TYPE)
            assert answer["detail"]
        later = await h.answer(register("TAB-03", site="montolieu"))
        assert later["type"] == "inventory.asset_registered" and later["site"] == "montolieu"
        info = await h.js.stream_info(DLQ_STREAM)
        assert info.state.messages == 1
