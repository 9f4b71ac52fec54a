"""Handlers for reservations, repairs, audits, conflicts and the deadline check."""

from services.inventory.answers import answered_once, held_assets, made_at, refused, reject, settled, unique
from services.inventory.findings import audit
from services.inventory.lending import DUE_SOON, LONG_OVERDUE, OVERDUE, Loan
from services.inventory.loan_handlers import ref_of
from services.inventory.model import Asset, Refusal, Repair, from_cents, require_amount
from services.inventory.ownership import Verdict
from services.inventory.planning import Reservation, hold, move, pick_by_kind, release, reserve_tags
from services.inventory.store import InventoryUnitOfWork
from shared.contract import booking as bk
from shared.contract import inventory as inv
from shared.contract.inventory import AuditFinding

REMINDERS: dict[int, type[inv.LoanDueSoon | inv.LoanOverdue | inv.LoanLongOverdue]] = {
    DUE_SOON: inv.LoanDueSoon, OVERDUE: inv.LoanOverdue, LONG_OVERDUE: inv.LoanLongOverdue,
}


# --- reservations -------------------------------------------------------------------------------

async def _reservable(cmd: inv.ReservationRequested, uow: InventoryUnitOfWork) -> list[Asset] | None:
    """Named assets (their holder decides), or every candidate of the kind held by the node asked."""
    if cmd.asset_tags is not None:
        return await held_assets(uow, cmd, unique(cmd.asset_tags), floor_fact=False)
    if settled(uow, cmd, uow.owners.where_made(made_at(uow, cmd))):
        return None
    return await uow.repo.candidates(str(cmd.kind), uow.origin)


@answered_once
async def reserve(cmd: inv.ReservationRequested, uow: InventoryUnitOfWork) -> None:
    assets = await _reservable(cmd, uow)
    if assets is None:
        return None
    reservation_id = cmd.reservation_id or cmd.request_id
    site = cmd.site or uow.origin
    try:
        uow.rules.require_site(site)
        if cmd.starts_at <= uow.now():
            raise Refusal("past", "Le créneau demandé est déjà commencé ou passé.")
    except Refusal as no:
        return refused(uow, cmd, no)
    if await uow.repo.reservation(reservation_id) is not None:
        return reject(uow, cmd, "duplicate", f"La réservation {reservation_id} existe déjà.")
    tags = [a.asset_tag for a in assets]
    promised, loans = await uow.repo.reservations_of(tags), await uow.repo.active_loans(tags)
    try:
        if cmd.asset_tags is not None:
            chosen = reserve_tags(assets, cmd.starts_at, cmd.ends_at, promised, loans)
        else:
            assert cmd.kind is not None and cmd.quantity is not None
            chosen = pick_by_kind(assets, cmd.kind, cmd.quantity, cmd.starts_at, cmd.ends_at, promised, loans)
    except Refusal as no:
        return refused(uow, cmd, no)
    reservation = Reservation(
        reservation_id, cmd.request_id, site, cmd.starts_at, cmd.ends_at, chosen, cmd.kind, cmd.workshop_id
    )
    uow.repo.add_reservation(reservation)
    uow.emit(inv.ReservationConfirmed(
        request_id=cmd.request_id, reservation_id=reservation_id, site=site, starts_at=cmd.starts_at,
        ends_at=cmd.ends_at, asset_tags=chosen, kind=cmd.kind, workshop_id=cmd.workshop_id,
    ))


async def _put_back(uow: InventoryUnitOfWork, reservation: Reservation) -> list[str]:
    """Items set aside for ``reservation`` go back on the shelf, unless another window needs them now;
    returns those put back."""
    await uow.repo.load_assets(reservation.asset_tags)
    others = await uow.repo.reservations_of(reservation.asset_tags)
    lead, now = uow.rules.hold_lead, uow.now()
    needed = {
        tag for tag, rs in others.items() for r in rs
        if r is not reservation and r.state == "held" and r.in_hold_window(now, lead)
    }
    return release(reservation, {t: a for t in reservation.asset_tags if (a := uow.repo.assets.get(t))}, needed)


async def _cancel(uow: InventoryUnitOfWork, reservation: Reservation, request_id: str, reason: str) -> None:
    reservation.cancel()
    released = await _put_back(uow, reservation)
    uow.emit(inv.ReservationCancelled(
        request_id=request_id, reservation_id=reservation.reservation_id, asset_tags=reservation.asset_tags,
        reason=reason, workshop_id=reservation.workshop_id, released=released,
    ))


@answered_once
async def cancel_reservation(cmd: inv.ReservationCancelRequested, uow: InventoryUnitOfWork) -> None:
    reservation = await uow.repo.reservation(cmd.reservation_id)  # only the node that made it knows it
    if settled(uow, cmd, uow.owners.route(made_at(uow, cmd), uow.origin if reservation else None)):
        return None
    if reservation is None:
        return reject(uow, cmd, "unknown_reservation", f"Réservation inconnue : {cmd.reservation_id}.")
    try:
        await _cancel(uow, reservation, cmd.request_id, "staff")
    except Refusal as no:
        return refused(uow, cmd, no)


async def release_for_cancelled_workshop(event: bk.WorkshopCancelled, uow: InventoryUnitOfWork) -> None:
    """Booking cancelled a workshop: the equipment reserved for it goes back on the shelf."""
    for reservation in await uow.repo.reservations_of_workshop(event.workshop_id):
        await _cancel(uow, reservation, event.request_id, "workshop_cancelled")


async def follow_rescheduled_workshop(event: bk.WorkshopRescheduled, uow: InventoryUnitOfWork) -> None:
    for reservation in await uow.repo.reservations_of_workshop(event.workshop_id):
        tags = reservation.asset_tags
        others, loans = await uow.repo.reservations_of(tags), await uow.repo.active_loans(tags)
        await uow.repo.load_assets(tags)
        assets = {t: a for t in tags if (a := uow.repo.assets.get(t)) is not None}
        try:
            move(reservation, event.starts_at, event.ends_at, others, loans, assets)
        except Refusal:
            await _cancel(uow, reservation, event.request_id, "workshop_rescheduled")
            continue
        released: list[str] = []
        if reservation.state == "held" and not reservation.in_hold_window(uow.now(), uow.rules.hold_lead):
            released = await _put_back(uow, reservation)  # set aside for the old time: the schedule will again
            reservation.state = "booked"
        uow.emit(inv.ReservationMoved(
            request_id=event.request_id, reservation_id=reservation.reservation_id, starts_at=event.starts_at,
            ends_at=event.ends_at, asset_tags=tags, workshop_id=event.workshop_id, released=released,
        ))


# --- repairs, audits, conflicts -------------------------------------------------------------------

@answered_once
async def send_to_repair(cmd: inv.RepairSendRequested, uow: InventoryUnitOfWork) -> None:
    assets = await held_assets(uow, cmd, [cmd.asset_tag], floor_fact=True)
    if assets is None:
        return None
    asset, now = assets[0], uow.now()
    try:
        asset.send_to_repair()
    except Refusal as no:
        return refused(uow, cmd, no)
    uow.repo.repairs.add(Repair(cmd.request_id, asset.asset_tag, asset.site, now, cmd.notes, cmd.repairer))
    uow.emit(inv.SentToRepair(
        request_id=cmd.request_id, repair_id=cmd.request_id, asset_tag=asset.asset_tag, site=asset.site,
        sent_at=now, notes=cmd.notes, repairer=cmd.repairer,
    ))


@answered_once
async def back_from_repair(cmd: inv.RepairReturnRequested, uow: InventoryUnitOfWork) -> None:
    assets = await held_assets(uow, cmd, [cmd.asset_tag], floor_fact=True)
    if assets is None:
        return None
    try:
        cost = require_amount(cmd.cost, "negative_amount", "Le coût de réparation")
    except Refusal as no:
        return refused(uow, cmd, no)
    asset, now = assets[0], uow.now()
    try:
        asset.back_from_repair(cmd.condition)
    except Refusal as no:
        return refused(uow, cmd, no)
    repair = await uow.repo.open_repair(asset.asset_tag)
    if repair is None:  # sent before the inventory knew: the repair starts on record today
        repair = Repair(cmd.request_id, asset.asset_tag, asset.site, now, "", "")
        uow.repo.repairs.add(repair)
    days = repair.close(now, cmd.notes, cost)
    uow.emit(inv.BackFromRepair(
        request_id=cmd.request_id, repair_id=repair.repair_id, asset_tag=asset.asset_tag, site=asset.site,
        returned_at=now, days_away=days, notes=cmd.notes, cost=from_cents(cost), condition=cmd.condition,
    ))


@answered_once
async def run_audit(cmd: inv.AuditSubmitted, uow: InventoryUnitOfWork) -> None:
    if settled(uow, cmd, uow.owners.where_made(made_at(uow, cmd))):  # a report on the records of the node asked
        return None
    try:
        uow.rules.require_site(cmd.site)
    except Refusal as no:
        return refused(uow, cmd, no)
    on_record = {a.asset_tag: a for a in await uow.repo.site_assets(cmd.site)}
    await uow.repo.load_assets(cmd.scanned_tags)
    scanned = {tag: a for tag in cmd.scanned_tags if (a := uow.repo.assets.get(tag)) is not None}
    result = audit(cmd.site, cmd.scanned_tags, on_record | scanned)
    uow.emit(inv.AuditCompleted(
        request_id=cmd.request_id, audit_id=cmd.audit_id or cmd.request_id, site=cmd.site,
        scanned=len(set(cmd.scanned_tags)), expected=result.expected, missing=result.missing,
        unexpected=[AuditFinding.model_validate(f.__dict__) for f in result.unexpected],
        wrong_site=[AuditFinding.model_validate(f.__dict__) for f in result.wrong_site],
    ))


@answered_once
async def resolve_conflict(cmd: inv.ConflictResolveRequested, uow: InventoryUnitOfWork) -> None:
    conflict = await uow.repo.conflict(cmd.conflict_id)  # followed by the node that detected it
    route = uow.owners.route(made_at(uow, cmd), conflict.node_site if conflict else None)
    if settled(uow, cmd, route):
        return None
    if conflict is None:
        return reject(uow, cmd, "unknown_conflict", f"Conflit inconnu : {cmd.conflict_id}.")
    if route.verdict == Verdict.refuse:
        return reject(uow, cmd, "not_held", f"Ce conflit est suivi par le nœud {conflict.node_site} : "
                      "résolvez-le sur ce nœud ou depuis le pôle.")
    try:
        conflict.resolve(cmd.resolution, uow.now())
    except Refusal as no:
        return refused(uow, cmd, no)
    uow.emit(inv.ConflictResolved(
        request_id=cmd.request_id, conflict_id=conflict.conflict_id, asset_tag=conflict.asset_tag,
        resolution=cmd.resolution, staff_id=cmd.staff_id,
    ))


# --- the deadline check ----------------------------------------------------------------------------

async def check_deadlines(cmd: inv.DeadlineCheckRequested, uow: InventoryUnitOfWork) -> None:
    """Reminders, transfer alerts, reservation windows: each fact once, since each is recorded
    (reminder level, alerted item, reservation state) in the same transaction as its event."""
    if cmd.origin != uow.origin:
        return  # another node's schedule, seen through sourcing: not ours to act on
    now, rules = uow.now(), uow.rules
    loans, transfers, moving = await uow.repo.deadlines(now, rules, uow.origin)
    for loan in loans:
        if (level := loan.next_reminder(now, rules)) is not None:
            uow.emit(_reminder(REMINDERS[level], cmd.request_id, loan, uow))
    for transfer in transfers:
        if late := transfer.not_received(now, rules):
            uow.emit(inv.TransferNotReceived(
                request_id=cmd.request_id, transfer_id=transfer.transfer_id, from_site=transfer.from_site,
                to_site=transfer.to_site, asset_tags=late, dispatched_at=transfer.dispatched_at,
                days_in_transit=(now - transfer.dispatched_at).days,
            ))
    _move_reservations(cmd.request_id, moving, uow)


def _reminder(cls: type[inv.LoanDueSoon | inv.LoanOverdue | inv.LoanLongOverdue], request_id: str, loan: Loan,
              uow: InventoryUnitOfWork) -> inv.LoanDueSoon | inv.LoanOverdue | inv.LoanLongOverdue:
    return cls(
        request_id=request_id, loan_id=loan.loan_id, asset_tag=loan.asset_tag, kind=loan.kind, site=loan.site,
        mode=loan.mode, citizen=ref_of(loan.citizen), due_date=loan.due_date, due_at=loan.due_at,
        days_overdue=loan.days_overdue(uow.now(), uow.rules),
    )


def _move_reservations(request_id: str, moving: list[Reservation], uow: InventoryUnitOfWork) -> None:
    now, lead = uow.now(), uow.rules.hold_lead
    ended = [r for r in moving if r.ends_at <= now]
    starting = [r for r in moving if r.ends_at > now]
    needed = {t for r in uow.repo.reservations if r.in_hold_window(now, lead) for t in r.asset_tags}
    assets = {a.asset_tag: a for a in uow.repo.assets}
    for r in ended:
        released = release(r, assets, needed)
        r.state = "ended"
        uow.emit(inv.ReservationEnded(request_id=request_id, reservation_id=r.reservation_id, asset_tags=released))
    for r in starting:
        held, unavailable = hold(r, assets)
        uow.emit(inv.ReservationHeld(
            request_id=request_id, reservation_id=r.reservation_id, site=r.site, starts_at=r.starts_at,
            asset_tags=held, unavailable=unavailable,
        ))
