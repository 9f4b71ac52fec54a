"""Inventory events that deserve a message: a loan due soon or overdue (to the borrower), a transfer
not received and a conflict detected (to the staff of the sites concerned)."""

from collections.abc import Mapping
from typing import Any

from services.notifications import model as m
from services.notifications.store import NotificationsUnitOfWork
from shared.bus import Handler
from shared.contract import inventory as inv
from shared.contract.envelope import Event

Uow = NotificationsUnitOfWork


def _loan_context(e: Any) -> dict[str, Any]:
    return {
        "loan_id": e.loan_id, "asset_tag": e.asset_tag, "asset_kind": str(e.kind),
        "due_date": e.due_date.isoformat(), "days_overdue": e.days_overdue,
    }


async def _loan_message(e: Any, kind: m.Kind, suffix: str, uow: Uow) -> None:
    if e.citizen is None:  # on-site use during a workshop: nobody to tell
        return
    # Keyed by due date: a renewed loan gets its own reminder, a repeated alert for the same date none.
    subject = f"{e.loan_id}@{e.due_date.isoformat()}{suffix}"
    await uow.repo.schedule(m.Plan(
        kind, subject, e.citizen.citizen_id, e.site, uow.now(), None, e.loan_id, _loan_context(e),
    ))


async def loan_due_soon(e: inv.LoanDueSoon, uow: Uow) -> None:
    await _loan_message(e, m.Kind.loan_due_soon, "", uow)


async def loan_overdue(e: inv.LoanOverdue, uow: Uow) -> None:
    await _loan_message(e, m.Kind.loan_overdue, "", uow)


async def loan_long_overdue(e: inv.LoanLongOverdue, uow: Uow) -> None:
    await _loan_message(e, m.Kind.loan_overdue, "/long", uow)


async def loan_closed(e: inv.LoanReturned, uow: Uow) -> None:
    await uow.repo.cancel_open("loan_returned", booking_id=e.loan_id)


async def transfer_not_received(e: inv.TransferNotReceived, uow: Uow) -> None:
    context = {
        "transfer_id": e.transfer_id, "from_site": e.from_site, "to_site": e.to_site,
        "asset_tags": e.asset_tags, "days_in_transit": e.days_in_transit,
    }
    await _tell_staff(m.Kind.transfer_not_received, e.transfer_id, (e.to_site, e.from_site), context, uow)


async def conflict_detected(e: inv.ConflictDetected, uow: Uow) -> None:
    context = {
        "conflict_id": e.conflict_id, "asset_tag": e.asset_tag, "action": e.action,
        "node_site": e.node_site, "holding_site": e.holding_site, "detail": e.detail,
    }
    await _tell_staff(m.Kind.conflict_detected, e.conflict_id, (e.node_site, e.holding_site), context, uow)


async def _tell_staff(kind: m.Kind, subject: str, sites: tuple[str, ...], context: dict[str, Any], uow: Uow) -> None:
    now = uow.now()
    plans = [
        m.Plan(kind, subject, m.staff_recipient(site), site, now, None, None, context)
        for site in dict.fromkeys(sites)
    ]
    await uow.repo.schedule(*plans)


INVENTORY_HANDLERS: Mapping[type[Event], Handler] = {
    inv.LoanDueSoon: loan_due_soon,
    inv.LoanOverdue: loan_overdue,
    inv.LoanLongOverdue: loan_long_overdue,
    inv.LoanReturned: loan_closed,
    inv.TransferNotReceived: transfer_not_received,
    inv.ConflictDetected: conflict_detected,
}
