"""One async function per incoming message: load, ask the model, save, emit.

Refusals are answers, not errors: they become ``inventory.command_rejected``; an action on an asset
another site holds becomes ``inventory.conflict_detected`` (answers.py). Across nodes each request is
decided by exactly one node and passed on or ignored by the others (ownership.py); other nodes' facts
keep this node's read copies (copies.py). Assets and transfers are here; loans in loan_handlers.py;
reservations, repairs, audits, conflicts and deadlines in upkeep_handlers.py.

Transfer receipt rule: a receipt is the destination's scan, so the request names the receiving
``site``, which must be the transfer's destination. It is recorded by the destination's node, or, for a
destination that runs no node of its own, by the sender's node (in transit, items are still held by the
sender). Only then does the holding site change, item by item.
"""

from datetime import UTC, datetime

from services.inventory import copies
from services.inventory.answers import (
    answered_once,
    asset_facts,
    detect_conflict,
    held_assets,
    made_at,
    refused,
    reject,
    settled,
    unique,
)
from services.inventory.lending import check_reservations
from services.inventory.loan_handlers import check_out, give_back, renew
from services.inventory.model import LENT, Asset, Refusal, S, require_amount
from services.inventory.ownership import Verdict
from services.inventory.replica import card_of
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
from shared.contract.envelope import REGISTRY, Event, Request

FOREVER = datetime.max.replace(tzinfo=UTC)


@answered_once
async def register_asset(cmd: inv.AssetRegisterRequested, uow: InventoryUnitOfWork) -> None:
    route = uow.owners.route(made_at(uow, cmd), uow.owners.registrar(cmd.site))
    if settled(uow, cmd, route, [cmd.asset_tag]):
        return None
    try:
        uow.rules.require_site(cmd.site)
        price = require_amount(cmd.purchase_price, "negative_price", "Le prix d'achat")
    except Refusal as no:
        return refused(uow, cmd, no)
    if route.verdict == Verdict.refuse:
        return reject(uow, cmd, "not_held", f"Le nœud {uow.origin} n'enregistre que le matériel de son site : "
                      f"enregistrez-le sur le nœud de {cmd.site} ou au pôle.")
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
    assets = await held_assets(uow, cmd, [cmd.asset_tag], floor_fact=False)
    if assets is None:
        return None
    changes = cmd.changes()
    try:
        if "purchase_price" in changes:
            changes["purchase_price"] = require_amount(changes["purchase_price"], "negative_price", "Le prix d'achat")
    except Refusal as no:
        return refused(uow, cmd, no)
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
    tags = unique(cmd.asset_tags)
    assets = await held_assets(uow, cmd, tags, floor_fact=True)
    if assets is None:
        return None
    transfer_id = cmd.transfer_id or cmd.request_id
    if await uow.repo.transfer(transfer_id) is not None:
        return reject(uow, cmd, "duplicate", f"Le transfert {transfer_id} existe déjà.")
    now = uow.now()
    try:
        uow.rules.require_site(cmd.to_site)
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
        assets=[card_of(a) for a in assets],
    ))


@answered_once
async def receive_transfer(cmd: inv.TransferReceiveRequested, uow: InventoryUnitOfWork) -> None:
    transfer = await uow.repo.transfer(cmd.transfer_id)
    receiver = uow.owners.receiver(transfer.from_site, transfer.to_site) if transfer else None
    if settled(uow, cmd, uow.owners.route(made_at(uow, cmd), receiver), cmd.asset_tags):
        return None
    if transfer is None:
        later = "" if uow.owners.is_hub else " (s'il vient d'être expédié, réessayez quand le pôle sera joignable)"
        return reject(uow, cmd, "unknown_transfer", f"Transfert inconnu : {cmd.transfer_id}{later}.")
    tags = unique(cmd.asset_tags)
    await uow.repo.load_assets(tags)
    assets = {tag: a for tag in tags if (a := uow.repo.assets.get(tag)) is not None}
    if transfer.to_site != uow.origin:  # the sender records it for its destination, or it is not ours
        foreign = [a for tag, a in assets.items() if tag in transfer.items and not a.held_by(uow.origin)]
        for asset in foreign:
            await detect_conflict(uow, cmd, asset)
        if foreign:
            return None
    if missing := [tag for tag in tags if tag in transfer.items and tag not in assets]:
        return reject(uow, cmd, "unknown_tag", f"Étiquette(s) inconnue(s) : {', '.join(missing)}.")
    try:
        received = transfer.receive(cmd.site, tags, assets, uow.now())
    except Refusal as no:
        return refused(uow, cmd, no)
    uow.emit(inv.TransferReceived(
        request_id=cmd.request_id, transfer_id=transfer.transfer_id, from_site=transfer.from_site,
        to_site=transfer.to_site, asset_tags=received, still_in_transit=transfer.in_transit,
    ))


async def decide_passed_on(pending: inv.InventoryRequestPending, uow: InventoryUnitOfWork) -> None:
    """The hub passed on a request made there, naming this node (or nobody: then the holder decides).

    Sites act on the hub's ``request_pending`` rather than on the request itself: it comes after every
    fact the hub knew when it routed the request (its stream's order), e.g. the parcel's dispatch."""
    request_class = REGISTRY.get(pending.request_type)
    if pending.origin == uow.origin or pending.request is None or pending.owner_site not in (uow.origin, None):
        return None
    if request_class is None or not issubclass(request_class, Request) or request_class not in HANDLERS:
        return None
    request = request_class.model_validate({**pending.request, "origin": pending.origin})
    uow.passed_on[request.request_id] = pending.owner_site
    await HANDLERS[request_class](request, uow)


HANDLERS: dict[type[Event], Handler] = {
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
    **copies.HANDLERS,
    inv.InventoryRequestPending: decide_passed_on,
}
# Read from other nodes only: this node's own facts were applied when it decided them.
FOREIGN_FACTS: frozenset[type[Event]] = frozenset({*copies.HANDLERS, inv.InventoryRequestPending})
