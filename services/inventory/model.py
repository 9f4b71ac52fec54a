"""Inventory rules in plain Python: assets, their statuses and who may change them.

No I/O and no framework here. Loans are in lending.py, reservations in planning.py, transfers in
transfers.py, audits and conflicts in findings.py.

Ownership (DESIGN §4): only the node of the holding site changes an asset (``asset.site == node``).
"""

import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from shared.contract.inventory import AssetStatus

S = AssetStatus

STATUS_LABELS = {
    S.available: "disponible", S.reserved: "réservé", S.on_loan: "en prêt", S.in_use_on_site: "utilisé sur place",
    S.in_transit: "en transit", S.in_maintenance: "en réparation", S.lost: "perdu", S.retired: "réformé",
}
KIND_LABELS = {
    "laptop": "ordinateur portable", "desktop": "ordinateur fixe", "tablet": "tablette", "phone": "téléphone",
    "printer": "imprimante", "hotspot": "routeur 4G", "kit": "kit", "other": "autre",
}
ON_SHELF = (S.available, S.reserved)
LENT = (S.on_loan, S.in_use_on_site)
GONE = (S.lost, S.retired)


class Refusal(Exception):
    """A request the rules say no to; ``reason`` is the code front-ends switch on."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


def to_cents(amount: Decimal) -> int:
    return int((amount * 100).to_integral_value())


def from_cents(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def require_amount(amount: Decimal, reason: str, what: str) -> int:
    """Cents of a non-negative amount in euros; a negative one is refused with ``reason``."""
    if amount < 0:
        raise Refusal(reason, f"{what} ne peut pas être négatif ({amount} €).")
    return to_cents(amount)


@dataclass(frozen=True)
class Rules:
    known_sites: frozenset[str] = frozenset({"hub"})
    loan_days: Mapping[str, int] = field(default_factory=dict)
    max_renewals: int = 2
    due_soon: timedelta = timedelta(days=2)
    long_overdue: timedelta = timedelta(days=14)
    transfer_alert: timedelta = timedelta(days=3)
    hold_lead: timedelta = timedelta(hours=2)
    timezone: str = "Europe/Paris"

    def require_site(self, site: str) -> None:
        if site not in self.known_sites:
            raise Refusal("unknown_site", f"Site inconnu du réseau : {site}.")

    def loan_length(self, kind: str) -> timedelta:
        return timedelta(days=self.loan_days.get(kind, 14))

    def local_day(self, moment: datetime) -> date:
        return moment.astimezone(ZoneInfo(self.timezone)).date()

    def end_of(self, day: date) -> datetime:
        """The moment ``day`` is over, local time: a loan due that day is overdue from then."""
        return datetime.combine(day + timedelta(days=1), time(0), ZoneInfo(self.timezone))

    def span(self, start: datetime, end: datetime) -> str:
        zone = ZoneInfo(self.timezone)
        return f"du {start.astimezone(zone):%d/%m/%Y %H:%M} au {end.astimezone(zone):%d/%m/%Y %H:%M}"


@dataclass(frozen=True)
class Citizen:
    citizen_id: str
    age_bracket: str = "non_communique"
    commune_insee: str | None = None
    status: str = "non_communique"
    gender: str = "non_communique"


@dataclass
class Asset:
    asset_tag: str
    kind: str
    model: str
    serial: str
    purchase_date: date | None
    price_cents: int
    funding_source: str
    condition: str
    site: str  # the holding site
    status: AssetStatus = S.available
    notes: str = ""

    @property
    def label(self) -> str:
        return f"{self.asset_tag} ({STATUS_LABELS[self.status]}, {self.site})"

    def held_by(self, node_site: str) -> bool:
        return self.site == node_site

    def _require(self, allowed: tuple[AssetStatus, ...], reason: str = "not_available") -> None:
        if self.status not in allowed:
            raise Refusal(reason, f"{self.asset_tag} est {STATUS_LABELS[self.status]}.")

    def lend(self, on_site: bool, for_its_reservation: bool) -> None:
        if self.status == S.reserved and not for_its_reservation:
            raise Refusal("reserved", f"{self.asset_tag} est mis de côté pour une réservation.")
        self._require(ON_SHELF)
        self.status = S.in_use_on_site if on_site else S.on_loan

    def give_back(self, condition: str) -> None:
        self._require(LENT, "not_on_loan")
        self.status, self.condition = S.available, condition

    def dispatch(self) -> None:
        self._require((S.available,))
        self.status = S.in_transit

    def arrive(self, site: str) -> None:
        self.site, self.status = site, S.available

    def send_to_repair(self) -> None:
        self._require(ON_SHELF)
        self.status = S.in_maintenance

    def back_from_repair(self, condition: str) -> None:
        self._require((S.in_maintenance,), "not_in_maintenance")
        self.status, self.condition = S.available, condition

    def retire(self, lost: bool) -> AssetStatus:
        """Declare lost (from anywhere but gone) or retire (once it is back). Returns the previous status."""
        previous = self.status
        if self.status == S.retired or (lost and self.status == S.lost):
            raise Refusal("already_retired", f"{self.asset_tag} est déjà {STATUS_LABELS[self.status]}.")
        if not lost:
            self._require((*ON_SHELF, S.in_maintenance, S.lost))
        self.status = S.lost if lost else S.retired
        return previous

    def edit(self, changes: Mapping[str, object]) -> list[str]:
        """Apply the changed fields (price already in cents); returns the names that really changed."""
        changed = []
        for name, value in changes.items():
            attr = "price_cents" if name == "purchase_price" else name
            if getattr(self, attr) != value:
                setattr(self, attr, value)
                changed.append(name)
        return changed


_IDS = uuid.UUID("3d0b6f5e-8a41-4c2b-9f7e-5a1c2e9b7d40")


def derived_id(*parts: str) -> str:
    """A stable id from a request (and an asset): re-deciding the same request names the same thing."""
    return str(uuid.uuid5(_IDS, ":".join(parts)))


@dataclass
class Repair:
    repair_id: str
    asset_tag: str
    site: str
    sent_at: datetime
    notes: str
    repairer: str
    returned_at: datetime | None = None
    return_notes: str = ""
    cost_cents: int = 0

    def close(self, now: datetime, notes: str, cost_cents: int) -> int:
        self.returned_at, self.return_notes, self.cost_cents = now, notes, cost_cents
        return (now - self.sent_at).days
