"""Loan handlers: check-out, renewal, return. A loan is a fact at the desk: on an asset this node
does not hold it is a conflict, not a rejection (answers.held_assets)."""

from services.inventory import lending
from services.inventory.answers import answered_once, held_assets, refused, reject
from services.inventory.lending import Checkout, Loan
from services.inventory.model import LENT, Citizen, Refusal, from_cents, require_amount
from services.inventory.store import InventoryUnitOfWork
from shared.contract import inventory as inv
from shared.contract.citizen import CitizenRef


def citizen_of(ref: CitizenRef | None) -> Citizen | None:
    if ref is None:
        return None
    return Citizen(ref.citizen_id, ref.age_bracket, ref.commune_insee, ref.status, ref.gender)


def ref_of(citizen: Citizen | None) -> CitizenRef | None:
    return None if citizen is None else CitizenRef.model_validate(citizen.__dict__)


@answered_once
async def check_out(cmd: inv.LoanCheckoutRequested, uow: InventoryUnitOfWork) -> None:
    assets = await held_assets(uow, cmd, [cmd.asset_tag], floor_fact=True)
    if assets is None:
        return None
    try:
        deposit = None if cmd.deposit is None else require_amount(cmd.deposit, "negative_amount", "La caution")
    except Refusal as no:
        return refused(uow, cmd, no)
    asset = assets[0]
    wish = Checkout(
        cmd.request_id, cmd.request_id, cmd.mode, citizen_of(cmd.citizen), cmd.due_date, cmd.agreement_signed,
        deposit, cmd.reservation_id,
    )
    reservations = (await uow.repo.reservations_of([asset.asset_tag]))[asset.asset_tag]
    try:
        loan = lending.check_out(asset, wish, reservations, uow.now(), uow.rules)
    except Refusal as no:
        return refused(uow, cmd, no)
    uow.repo.loans.add(loan)
    uow.emit(inv.LoanCheckedOut(
        request_id=cmd.request_id, loan_id=loan.loan_id, asset_tag=asset.asset_tag, kind=asset.kind, site=loan.site,
        mode=loan.mode, citizen=cmd.citizen, started_at=loan.started_at, due_date=loan.due_date, due_at=loan.due_at,
        agreement_signed=loan.agreement_signed, deposit=cmd.deposit, reservation_id=loan.reservation_id,
    ))


async def _current_loan(
    cmd: inv.LoanRenewRequested | inv.LoanReturnRequested, uow: InventoryUnitOfWork
) -> Loan | None:
    assets = await held_assets(uow, cmd, [cmd.asset_tag], floor_fact=True)
    if assets is None:
        return None
    loan = await uow.repo.active_loan(cmd.asset_tag)
    if loan is None or assets[0].status not in LENT:
        reject(uow, cmd, "not_on_loan", f"{assets[0].label} n'est pas en prêt.")
        return None
    return loan


@answered_once
async def renew(cmd: inv.LoanRenewRequested, uow: InventoryUnitOfWork) -> None:
    loan = await _current_loan(cmd, uow)
    if loan is None:
        return None
    reservations = (await uow.repo.reservations_of([loan.asset_tag]))[loan.asset_tag]
    try:
        previous = loan.renew(cmd.due_date, reservations, uow.now(), uow.rules)
    except Refusal as no:
        return refused(uow, cmd, no)
    uow.emit(inv.LoanRenewed(
        request_id=cmd.request_id, loan_id=loan.loan_id, asset_tag=loan.asset_tag, site=loan.site,
        citizen=ref_of(loan.citizen), previous_due_date=previous, due_date=loan.due_date, due_at=loan.due_at,
        renewals=loan.renewals,
    ))


@answered_once
async def give_back(cmd: inv.LoanReturnRequested, uow: InventoryUnitOfWork) -> None:
    loan = await _current_loan(cmd, uow)
    if loan is None:
        return None
    asset = uow.repo.assets.get(loan.asset_tag)
    assert asset is not None  # loaded by _current_loan
    asset.give_back(cmd.condition)
    now = uow.now()
    days_late = loan.close(now, cmd.condition, uow.rules)
    deposit = None if loan.deposit_cents is None else from_cents(loan.deposit_cents)
    uow.emit(inv.LoanReturned(
        request_id=cmd.request_id, loan_id=loan.loan_id, asset_tag=loan.asset_tag, site=loan.site, mode=loan.mode,
        citizen=ref_of(loan.citizen), returned_at=now, due_date=loan.due_date, days_late=days_late,
        condition=cmd.condition, deposit_to_refund=deposit, notes=cmd.notes,
    ))
