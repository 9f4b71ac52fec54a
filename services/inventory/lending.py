"""Loans to citizens: check-out, renewal, return and the escalating reminders. Plain Python, no I/O.

A take-home loan needs a citizen and the signed loan agreement; it lasts the kind's default length
unless a due date is given. On-site use (during a workshop) is due back the same day. A loan is
overdue from the end of its due day (local time); reminders escalate: due soon → overdue → long
overdue, each sent once, and a renewal starts the sequence again.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from services.inventory.model import Asset, Citizen, Refusal, Rules
from services.inventory.planning import Reservation, overlaps
from shared.contract.inventory import LoanMode

DUE_SOON, OVERDUE, LONG_OVERDUE = 1, 2, 3


@dataclass
class Loan:
    loan_id: str
    request_id: str
    asset_tag: str
    kind: str
    site: str
    mode: LoanMode
    citizen: Citizen | None
    started_at: datetime
    due_date: date
    due_at: datetime
    agreement_signed: bool
    deposit_cents: int | None = None
    reservation_id: str | None = None
    renewals: int = 0
    reminder_level: int = 0
    status: str = "active"  # active | returned | lost
    returned_at: datetime | None = None
    return_condition: str | None = None

    @property
    def on_site(self) -> bool:
        return self.mode == LoanMode.on_site

    def days_overdue(self, now: datetime, rules: Rules) -> int:
        return (rules.local_day(now) - self.due_date).days

    def renew(self, due_date: date | None, reservations: Iterable[Reservation], now: datetime, rules: Rules) -> date:
        """Push the due date back; returns the previous one."""
        if self.on_site:
            raise Refusal("not_renewable", "Un usage sur place ne se prolonge pas : faites un prêt à emporter.")
        if self.renewals >= rules.max_renewals:
            raise Refusal("renewal_limit", f"Prêt déjà prolongé {self.renewals} fois (maximum {rules.max_renewals}).")
        new_due = due_date or self.due_date + rules.loan_length(self.kind)
        if new_due <= self.due_date:
            raise Refusal("invalid_due_date", f"La nouvelle date doit être après le {self.due_date.isoformat()}.")
        due_at = rules.end_of(new_due)
        check_reservations(self.asset_tag, reservations, now, due_at, self.reservation_id, rules)
        previous = self.due_date
        self.due_date, self.due_at = new_due, due_at
        self.renewals += 1
        self.reminder_level = 0
        return previous

    def close(self, now: datetime, condition: str, rules: Rules) -> int:
        """The asset is back; returns the days late (0 if on time)."""
        self.status, self.returned_at, self.return_condition = "returned", now, condition
        return max(0, self.days_overdue(now, rules))

    def next_reminder(self, now: datetime, rules: Rules) -> int | None:
        """The reminder level to send now, if a higher one than already sent is due."""
        if self.status != "active":
            return None
        level = 0
        if now >= self.due_at + rules.long_overdue:
            level = LONG_OVERDUE
        elif now >= self.due_at:
            level = OVERDUE
        elif not self.on_site and rules.due_soon and now >= self.due_at - rules.due_soon:
            level = DUE_SOON
        if level <= self.reminder_level:
            return None
        self.reminder_level = level
        return level


@dataclass(frozen=True)
class Checkout:
    """What staff asked for at the desk."""

    loan_id: str
    request_id: str
    mode: LoanMode
    citizen: Citizen | None
    due_date: date | None
    agreement_signed: bool
    deposit_cents: int | None
    reservation_id: str | None


def check_out(
    asset: Asset, wish: Checkout, reservations: Iterable[Reservation], now: datetime, rules: Rules
) -> Loan:
    on_site = wish.mode == LoanMode.on_site
    if not on_site and wish.citizen is None:
        raise Refusal("citizen_required", "Un prêt à emporter est fait à une personne (citizen manquant).")
    if not on_site and not wish.agreement_signed:
        raise Refusal("agreement_missing", "La convention de prêt doit être signée avant un prêt à emporter.")
    today = rules.local_day(now)
    if on_site:
        due_date = today
    else:
        due_date = wish.due_date or today + rules.loan_length(asset.kind)
        if due_date < today:
            raise Refusal("invalid_due_date", "La date de retour est déjà passée.")
    due_at = rules.end_of(due_date)
    reservations = list(reservations)
    own = any(r.reservation_id == wish.reservation_id and r.active for r in reservations)
    check_reservations(asset.asset_tag, reservations, now, due_at, wish.reservation_id, rules)
    asset.lend(on_site, for_its_reservation=own)
    return Loan(
        wish.loan_id, wish.request_id, asset.asset_tag, asset.kind, asset.site, wish.mode, wish.citizen, now,
        due_date, due_at, wish.agreement_signed, wish.deposit_cents, wish.reservation_id,
    )


def check_reservations(
    tag: str, reservations: Iterable[Reservation], start: datetime, end: datetime, allowed: str | None, rules: Rules
) -> None:
    for r in reservations:
        if r.active and r.reservation_id != allowed and tag in r.asset_tags and overlaps(
            start, end, r.starts_at, r.ends_at
        ):
            raise Refusal("reserved", f"{tag} est réservé {rules.span(r.starts_at, r.ends_at)}.")
