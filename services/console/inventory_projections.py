"""Inventory outcomes as the console shows them: assets by tag with their status, loans, transfers to
receive, conflicts. A copy for the screens; the inventory service stays the one that decides."""

from typing import Any

from sqlalchemy import and_

from services.console import tables as t
from services.public.catalogue import Handler
from shared.contract import inventory as inv
from shared.contract.envelope import Event


def _status(uow: Any, tags: list[str], status: str, **extra: Any) -> None:
    for tag in tags:
        uow.rows.change(t.assets, {"asset_tag": tag}, {"status": status, **extra})


async def asset_facts(e: inv.AssetRegistered, uow: Any) -> None:
    uow.rows.upsert(t.assets, {"asset_tag": e.asset_tag}, {
        "kind": e.kind, "model": e.model, "site": e.site, "status": e.status, "condition": e.condition})


async def retired(e: inv.AssetRetired, uow: Any) -> None:
    _status(uow, [e.asset_tag], e.status)
    if e.closed_loan_id:
        uow.rows.change(t.loans, {"loan_id": e.closed_loan_id}, {"status": "returned"})


async def checked_out(e: inv.LoanCheckedOut, uow: Any) -> None:
    uow.rows.upsert(t.loans, {"loan_id": e.loan_id}, {
        "asset_tag": e.asset_tag, "site": e.site, "citizen_id": e.citizen.citizen_id if e.citizen else None,
        "mode": e.mode, "due_date": e.due_date.isoformat(), "status": "active"})
    _status(uow, [e.asset_tag], "on_loan" if e.mode == inv.LoanMode.take_home else "in_use_on_site")


async def renewed(e: inv.LoanRenewed, uow: Any) -> None:
    uow.rows.change(t.loans, {"loan_id": e.loan_id}, {"due_date": e.due_date.isoformat()})


async def returned(e: inv.LoanReturned, uow: Any) -> None:
    uow.rows.change(t.loans, {"loan_id": e.loan_id}, {"status": "returned"})
    _status(uow, [e.asset_tag], "available", condition=e.condition)


async def dispatched(e: inv.TransferDispatched, uow: Any) -> None:
    uow.rows.upsert(t.transfers, {"transfer_id": e.transfer_id}, {
        "from_site": e.from_site, "to_site": e.to_site, "dispatched_at": e.dispatched_at.timestamp(),
        "in_transit": ",".join(e.asset_tags)})
    _status(uow, e.asset_tags, "in_transit")


async def received(e: inv.TransferReceived, uow: Any) -> None:
    uow.rows.change(t.transfers, {"transfer_id": e.transfer_id}, {"in_transit": ",".join(e.still_in_transit)})
    _status(uow, e.asset_tags, "available", site=e.to_site)


async def to_repair(e: inv.SentToRepair, uow: Any) -> None:
    _status(uow, [e.asset_tag], "in_maintenance")


async def from_repair(e: inv.BackFromRepair, uow: Any) -> None:
    _status(uow, [e.asset_tag], "available", condition=e.condition)


async def held(e: inv.ReservationHeld, uow: Any) -> None:
    _status(uow, [tag for tag in e.asset_tags if tag not in e.unavailable], "reserved")


async def ended(e: inv.ReservationEnded, uow: Any) -> None:
    if e.asset_tags:
        await uow.rows.update_where(t.assets, and_(t.assets.c.asset_tag.in_(e.asset_tags),
                                                   t.assets.c.status == "reserved"), {"status": "available"})


async def conflict(e: inv.ConflictDetected, uow: Any) -> None:
    uow.rows.upsert(t.conflicts, {"conflict_id": e.conflict_id}, {
        "asset_tag": e.asset_tag, "action": e.action, "node_site": e.node_site, "holding_site": e.holding_site,
        "detail": e.detail, "detected_at": e.occurred_at.timestamp()})


async def resolved(e: inv.ConflictResolved, uow: Any) -> None:
    uow.rows.change(t.conflicts, {"conflict_id": e.conflict_id}, {"resolution": e.resolution})


INVENTORY_HANDLERS: dict[type[Event], Handler] = {
    inv.AssetRegistered: asset_facts, inv.AssetEdited: asset_facts, inv.AssetRetired: retired,
    inv.LoanCheckedOut: checked_out, inv.LoanRenewed: renewed, inv.LoanReturned: returned,
    inv.TransferDispatched: dispatched, inv.TransferReceived: received, inv.SentToRepair: to_repair,
    inv.BackFromRepair: from_repair, inv.ReservationHeld: held, inv.ReservationEnded: ended,
    inv.ConflictDetected: conflict, inv.ConflictResolved: resolved,
}
