"""Other nodes' facts: this node's read copies follow them (replica.py). A fact that contradicts the record
is a clash, reported by the hub (answers.detect_clash). A node's own facts come back to it through its
input stream: they were applied when decided, so they are skipped here."""

from collections.abc import Mapping

from services.inventory import replica
from services.inventory.answers import detect_clash
from services.inventory.findings import Conflict
from services.inventory.model import S
from services.inventory.store import InventoryUnitOfWork
from shared.bus import Handler
from shared.contract import inventory as inv
from shared.contract.envelope import Event

# A reservation's facts only set items aside or back: on an asset held elsewhere they are simply not followed.
SHELF_FACTS = (inv.ReservationHeld, inv.ReservationEnded, inv.ReservationCancelled, inv.ReservationMoved)


def _noted(uow: InventoryUnitOfWork, fact: Event) -> None:
    uow.repo.record(fact, fact.occurred_at, fact.origin, only_known=True)


async def follow_registration(fact: inv.AssetRegistered, uow: InventoryUnitOfWork) -> None:
    if fact.origin == uow.origin:
        return
    asset = await uow.repo.asset(fact.asset_tag)
    if asset is None:
        uow.repo.assets.add(replica.asset_from(fact, fact.site, fact.status))
    elif asset.site == fact.site and not asset.held_by(uow.origin):
        replica.describe(asset, fact)
    else:  # the same tag registered at two nodes while they could not hear each other
        await detect_clash(uow, fact, asset, applied=False)
    _noted(uow, fact)


async def follow_holder(fact: Event, uow: InventoryUnitOfWork) -> None:
    """Loans, repairs, edits, retirement, reservations: facts only the holding site's node produces."""
    if fact.origin == uow.origin:
        return
    tags = replica.changed_tags(fact)
    await uow.repo.load_assets(tags)
    followed = False
    for tag in tags:
        asset = uow.repo.assets.get(tag)
        if asset is not None and asset.held_by(fact.origin):
            replica.follow(asset, fact)
            followed = True
        elif asset is not None and not isinstance(fact, SHELF_FACTS):
            await detect_clash(uow, fact, asset, applied=False)
    if followed:
        await _follow_loan(fact, uow)
    _noted(uow, fact)


async def _follow_loan(fact: Event, uow: InventoryUnitOfWork) -> None:
    tag = getattr(fact, "asset_tag", "")
    if not isinstance(fact, inv.LoanCheckedOut | inv.LoanRenewed | inv.LoanReturned | inv.AssetRetired):
        return
    loan = await uow.repo.active_loan(tag)
    if isinstance(fact, inv.LoanCheckedOut):
        if loan is None or loan.loan_id != fact.loan_id:
            uow.repo.loans.add(replica.loan_from(fact))
    elif isinstance(fact, inv.AssetRetired):
        if loan is not None and loan.loan_id == fact.closed_loan_id:
            loan.status = "lost"
    elif loan is not None and loan.loan_id == fact.loan_id:
        replica.follow_loan(loan, fact)


async def follow_dispatch(fact: inv.TransferDispatched, uow: InventoryUnitOfWork) -> None:
    if fact.origin == uow.origin or await uow.repo.transfer(fact.transfer_id) is not None:
        return
    await uow.repo.load_assets(fact.asset_tags)
    cards = {card.asset_tag: card for card in fact.assets}
    for tag in fact.asset_tags:
        asset = uow.repo.assets.get(tag)
        if asset is None and tag in cards:  # a box's item this node never saw registered
            uow.repo.assets.add(replica.asset_from(cards[tag], fact.from_site, S.in_transit))
        elif asset is not None and asset.held_by(fact.origin):
            replica.follow(asset, fact)
        elif asset is not None:
            await detect_clash(uow, fact, asset, applied=False)
    uow.repo.add_transfer(replica.transfer_from(fact))
    _noted(uow, fact)


async def follow_receipt(fact: inv.TransferReceived, uow: InventoryUnitOfWork) -> None:
    """The receiving node's scan changes the holding site, even of an item this node declared lost meanwhile
    (that disagreement is a clash for staff)."""
    if fact.origin == uow.origin:
        return
    transfer = await uow.repo.transfer(fact.transfer_id)
    if transfer is None or fact.origin not in (transfer.from_site, transfer.to_site):
        return  # a box this node never saw leave: nothing to follow
    await uow.repo.load_assets(fact.asset_tags)
    assets = {tag: a for tag in fact.asset_tags if (a := uow.repo.assets.get(tag)) is not None}
    for tag, asset in assets.items():
        item = transfer.items.get(tag)
        if item is not None and item.state == "lost":
            await detect_clash(uow, fact, asset, applied=True)
    replica.receive(transfer, fact, assets)
    _noted(uow, fact)


async def note_conflict(fact: inv.ConflictDetected, uow: InventoryUnitOfWork) -> None:
    """The hub keeps every node's conflicts; a site those it has a part in (the hub reports them all)."""
    involved = {fact.node_site, fact.holding_site, *(side.origin for side in fact.facts)}
    if fact.origin == uow.origin or not (uow.owners.is_hub or uow.origin in involved):
        return
    if await uow.repo.conflict(fact.conflict_id) is None:
        uow.repo.conflicts.add(Conflict(
            fact.conflict_id, fact.request_id, fact.asset_tag, fact.action, fact.node_site, fact.holding_site,
            str(fact.recorded_status), fact.occurred_at,
        ))
    _noted(uow, fact)


async def note_resolution(fact: inv.ConflictResolved, uow: InventoryUnitOfWork) -> None:
    if fact.origin == uow.origin:
        return
    conflict = await uow.repo.conflict(fact.conflict_id)
    if conflict is not None and conflict.status == "open":
        conflict.resolve(fact.resolution, fact.occurred_at)
    _noted(uow, fact)


HANDLERS: Mapping[type[Event], Handler] = {
    inv.AssetRegistered: follow_registration,
    **{cls: follow_holder for cls in (
        inv.AssetEdited, inv.AssetRetired, inv.LoanCheckedOut, inv.LoanRenewed, inv.LoanReturned, inv.SentToRepair,
        inv.BackFromRepair, *SHELF_FACTS,
    )},
    inv.TransferDispatched: follow_dispatch,
    inv.TransferReceived: follow_receipt,
    inv.ConflictDetected: note_conflict,
    inv.ConflictResolved: note_resolution,
}
