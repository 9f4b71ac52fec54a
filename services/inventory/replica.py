"""Read copies of what other nodes hold, kept from their facts (DESIGN §4). Plain Python, no I/O.

Each node keeps every asset it has heard of: those its site holds (it decides) and read copies of the
others'. A copy follows only the facts of the node that holds the asset on record here; a receipt is
followed when it comes from the node that records receipts for that transfer (it is what changes the
holding site). So a request about an asset held elsewhere is passed on or answered, never "unknown",
and a fact that contradicts the record can be seen (``findings.clash_detail``).
"""

from services.inventory.lending import Loan
from services.inventory.model import Asset, Citizen, S, from_cents, to_cents
from services.inventory.transfers import Transfer, TransferItem
from shared.contract import inventory as inv
from shared.contract.citizen import CitizenRef
from shared.contract.envelope import Event

Card = inv.AssetCard | inv.AssetRegistered | inv.AssetEdited
CARD_FIELDS = ("kind", "model", "serial", "purchase_date", "funding_source", "condition")


def asset_from(card: Card, site: str, status: str) -> Asset:
    asset = Asset(card.asset_tag, "", "", "", None, 0, "", "", site, S(status))
    describe(asset, card)
    return asset


def describe(asset: Asset, card: Card) -> None:
    for name in CARD_FIELDS:
        setattr(asset, name, getattr(card, name))
    asset.price_cents = to_cents(card.purchase_price)


def card_of(asset: Asset) -> inv.AssetCard:
    return inv.AssetCard(
        asset_tag=asset.asset_tag, kind=asset.kind, model=asset.model, serial=asset.serial,
        purchase_date=asset.purchase_date, purchase_price=from_cents(asset.price_cents),
        funding_source=asset.funding_source, condition=asset.condition,
    )


def changed_tags(fact: Event) -> list[str]:
    """The assets whose record the fact changes (a reservation's fact names only those it moved)."""
    if isinstance(fact, inv.ReservationCancelled | inv.ReservationMoved):
        return list(fact.released or [])
    tags = getattr(fact, "asset_tags", None)
    return list(tags) if tags is not None else [fact.asset_tag] if hasattr(fact, "asset_tag") else []


def follow(asset: Asset, fact: Event) -> None:
    """Our copy of ``asset`` after its holder's ``fact``: the holder has already applied its rules."""
    match fact:
        case inv.AssetEdited():
            describe(asset, fact)
            asset.status = S(fact.status)
        case inv.AssetRetired():
            asset.status = S(fact.status)
        case inv.TransferDispatched():
            asset.status = S.in_transit
        case inv.LoanCheckedOut():
            asset.status = S.in_use_on_site if fact.mode == inv.LoanMode.on_site else S.on_loan
        case inv.LoanReturned() | inv.BackFromRepair():
            asset.status, asset.condition = S.available, fact.condition
        case inv.SentToRepair():
            asset.status = S.in_maintenance
        case inv.ReservationHeld():
            asset.status = S.reserved if asset.status == S.available else asset.status
        case inv.ReservationEnded() | inv.ReservationCancelled() | inv.ReservationMoved():
            asset.status = S.available if asset.status == S.reserved else asset.status


def _citizen(ref: CitizenRef | None) -> Citizen | None:
    return None if ref is None else Citizen(ref.citizen_id, ref.age_bracket, ref.commune_insee, ref.status, ref.gender)


def loan_from(fact: inv.LoanCheckedOut) -> Loan:
    deposit = None if fact.deposit is None else to_cents(fact.deposit)
    return Loan(
        fact.loan_id, fact.request_id, fact.asset_tag, fact.kind, fact.site, inv.LoanMode(fact.mode),
        _citizen(fact.citizen), fact.started_at, fact.due_date, fact.due_at, fact.agreement_signed, deposit,
        fact.reservation_id,
    )


def follow_loan(loan: Loan, fact: inv.LoanRenewed | inv.LoanReturned) -> None:
    if isinstance(fact, inv.LoanRenewed):
        loan.due_date, loan.due_at, loan.renewals, loan.reminder_level = (
            fact.due_date, fact.due_at, fact.renewals, 0)
    else:
        loan.status, loan.returned_at, loan.return_condition = "returned", fact.returned_at, fact.condition


def transfer_from(fact: inv.TransferDispatched) -> Transfer:
    transfer = Transfer(fact.transfer_id, fact.request_id, fact.from_site, fact.to_site, fact.dispatched_at)
    transfer.items = {tag: TransferItem(fact.transfer_id, tag) for tag in fact.asset_tags}
    return transfer


def receive(transfer: Transfer, fact: inv.TransferReceived, assets: dict[str, Asset]) -> tuple[list[str], list[str]]:
    """Apply the receiver's scan to our copy of the transfer; returns (received now, clashing).

    A receipt stands even for an item this node had declared lost meanwhile: the item is where it was
    scanned, and its holder is now the destination. That disagreement is returned as a clash."""
    received, clashing = [], []
    for tag in fact.asset_tags:
        item = transfer.items.get(tag)
        if item is None or item.state == "received":
            continue  # not in this box as we know it, or already followed
        if item.state == "lost":
            clashing.append(tag)
        item.state, item.received_at = "received", fact.occurred_at
        if tag in assets:
            assets[tag].arrive(transfer.to_site)
        received.append(tag)
    return received, clashing
