"""One async function per incoming message: load, ask the model, save, emit.

Refusals are answers, not errors: they become ``inventory.command_rejected``; an action on an asset
another site holds becomes ``inventory.conflict_detected`` (answers.py). Assets and transfers are
here; loans in py; reservations, repairs, audits, conflicts and deadlines in
py.

Transfer receipt rule (one node for now; the multi-site issue will refine it): a receipt is the
destination's scan, so the request names the receiving ``site``, which must be the transfer's
destination. It is recorded by a node that holds the items in transit (the dispatching node: in
transit, items are still held by the sender) or by the destination's own node. Only then does the
holding site change, item by item.
"""

from collections.abc import Mapping
from datetime import UTC, datetime

from services.inventory.answers import (
    answered_once,
    asset_facts,
    detect_conflict,
    held_assets,
    refused,
    reject,
    unique,
)
from services.inventory.lending import check_reservations
from services.inventory.loan_handlers import check_out, give_back, renew
from services.inventory.model import LENT, Asset, Refusal, S, require_amount
from services.inventory.store import InventoryUnitOfWork
from services.inventory.transfers import dispatch
from services.inventory.upkeep_handlers import (
    back_from_repair,
    cancel_reservation,
    check_deadlines,
    follow_rescheduled_workshop,
    release_for_cancelled_workshop,
    reserve,
    resolve_conflict,
    run_audit,
    send_to_repair,
)
from shared.bus import Handler
from shared.contract import booking as bk
from shared.contract import inventory as inv
from shared.contract.envelope import Event

FOREVER = datetime.max.replace(tzinfo=UTC)


@answered_once
async def register_asset(cmd: inv.AssetRegisterRequested, uow: InventoryUnitOfWork) -> None:
    try:
        uow.rules.require_site(cmd.site)
        price = require_amount(cmd.purchase_price, "negative_price", "Le prix d'achat")
    except Refusal as no:
        return refused(uow, cmd, no)
    if await uow.repo.asset(cmd.asset_tag) is not None:
        return reject(uow, cmd, "duplicate_tag", f"L'étiquette {cmd.asset_tag} est déjà enregistrée.")
    asset = Asset(
        cmd.asset_tag, cmd.kind, cmd.model, cmd.serial, cmd.purchase_date, price, cmd.funding_source,
        cmd.condition, cmd.site, notes=cmd.notes,
    )
    uow.repo.assets.add(asset)
    uow.emit(asset_facts(inv.AssetRegistered, cmd.request_id, asset))


@answered_once
async def edit_asset(cmd: inv.AssetEditRequested, uow: InventoryUnitOfWork) -> None:
    changes = cmd.changes()
    try:
        if "purchase_price" in changes:
            changes["purchase_price"] = require_amount(changes["purchase_price"], "negative_price", "Le prix d'achat")
    except Refusal as no:
        return refused(uow, cmd, no)
    assets = await held_assets(uow, cmd, [cmd.asset_tag], floor_fact=False)
    if assets is None:
        return None
    changed = assets[0].edit(changes)
    if not changed:
        return reject(uow, cmd, "no_change", "Rien à modifier : les valeurs sont déjà celles-ci.")
    uow.emit(asset_facts(inv.AssetEdited, cmd.request_id, assets[0], changed=changed))


@answered_once
async def retire_asset(cmd: inv.AssetRetireRequested, uow: InventoryUnitOfWork) -> None:
    assets = await held_assets(uow, cmd, [cmd.asset_tag], floor_fact=False)
    if assets is None:
        return None
    asset = assets[0]
    try:
        previous = asset.retire(cmd.lost)
    except Refusal as no:
        return refused(uow, cmd, no)
    loan = await uow.repo.active_loan(asset.asset_tag) if previous in LENT else None
    if loan is not None:
        loan.status = "lost"
    if previous == S.in_transit and (transfer := await uow.repo.transfer_in_transit(asset.asset_tag)) is not None:
        transfer.lose(asset.asset_tag)
    if previous == S.in_maintenance and (repair := await uow.repo.open_repair(asset.asset_tag)) is not None:
        repair.close(uow.now(), "réformé pendant la réparation", 0)
    uow.emit(inv.AssetRetired(
        request_id=cmd.request_id, asset_tag=asset.asset_tag, site=asset.site, status=asset.status,
        previous_status=previous, reason=cmd.reason, closed_loan_id=loan.loan_id if loan else None,
    ))


@answered_once
async def dispatch_transfer(cmd: inv.TransferDispatchRequested, uow: InventoryUnitOfWork) -> None:
    transfer_id = cmd.transfer_id or cmd.request_id
    try:
        uow.rules.require_site(cmd.to_site)
    except Refusal as no:
        return refused(uow, cmd, no)
    if await uow.repo.transfer(transfer_id) is not None:
        return reject(uow, cmd, "duplicate", f"Le transfert {transfer_id} existe déjà.")
    tags = unique(cmd.asset_tags)
    assets = await held_assets(uow, cmd, tags, floor_fact=True)
    if assets is None:
        return None
    now = uow.now()
    try:
        promised = await uow.repo.reservations_of(tags)
        for tag in tags:
            check_reservations(tag, promised[tag], now, FOREVER, None, uow.rules)
        transfer = dispatch(transfer_id, cmd.request_id, assets, cmd.to_site, now, uow.rules)
    except Refusal as no:
        return refused(uow, cmd, no)
    uow.repo.add_transfer(transfer)
    uow.emit(inv.TransferDispatched(
        request_id=cmd.request_id, transfer_id=transfer_id, from_site=transfer.from_site, to_site=transfer.to_site,
        asset_tags=tags, dispatched_at=now, alert_after=transfer.alert_after(uow.rules),
    ))


@answered_once
async def receive_transfer(cmd: inv.TransferReceiveRequested, uow: InventoryUnitOfWork) -> None:
    transfer = await uow.repo.transfer(cmd.transfer_id)
    if transfer is None:
        return reject(uow, cmd, "unknown_transfer", f"Transfert inconnu : {cmd.transfer_id}.")
    tags = unique(cmd.asset_tags)
    await uow.repo.load_assets(tags)
    assets = {tag: a for tag in tags if (a := uow.repo.assets.get(tag)) is not None}
    if transfer.to_site != uow.origin:
        foreign = [a for tag, a in assets.items() if tag in transfer.items and not a.held_by(uow.origin)]
        for asset in foreign:
            await detect_conflict(uow, cmd, asset)
        if foreign:
            return None
    try:
        received = transfer.receive(cmd.site, tags, assets, uow.now())
    except Refusal as no:
        return refused(uow, cmd, no)
    uow.emit(inv.TransferReceived(
        request_id=cmd.request_id, transfer_id=transfer.transfer_id, from_site=transfer.from_site,
        to_site=transfer.to_site, asset_tags=received, still_in_transit=transfer.in_transit,
    ))


HANDLERS: Mapping[type[Event], Handler] = {
    inv.AssetRegisterRequested: register_asset,
    inv.AssetEditRequested: edit_asset,
    inv.AssetRetireRequested: retire_asset,
    inv.TransferDispatchRequested: dispatch_transfer,
    inv.TransferReceiveRequested: receive_transfer,
    inv.LoanCheckoutRequested: check_out,
    inv.LoanRenewRequested: renew,
    inv.LoanReturnRequested: give_back,
    inv.ReservationRequested: reserve,
    inv.ReservationCancelRequested: cancel_reservation,
    bk.WorkshopCancelled: release_for_cancelled_workshop,
    bk.WorkshopRescheduled: follow_rescheduled_workshop,
    inv.RepairSendRequested: send_to_repair,
    inv.RepairReturnRequested: back_from_repair,
    inv.AuditSubmitted: run_audit,
    inv.ConflictResolveRequested: resolve_conflict,
    inv.DeadlineCheckRequested: check_deadlines,
}
