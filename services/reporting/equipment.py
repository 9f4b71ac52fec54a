"""Equipment facts from the inventory's events: assets (where, what state, which funding) and loans.

Same rules as model.py: every merge is order-independent, each group of fields carrying the version
of the event that last set it.
"""

from dataclasses import dataclass

from services.reporting.model import latest, same

IN_SERVICE_EXCLUDED = ("lost", "retired")


@dataclass(frozen=True)
class Asset:
    """Each group of fields keeps the version of the event that last set it, so a late event of
    an older version never overwrites a newer value."""

    asset_tag: str
    kind: str = ""
    funding_source: str = ""
    described_version: str = ""
    site: str = ""
    site_version: str = ""
    status: str = ""
    status_version: str = ""

    @property
    def in_service(self) -> bool:
        # Known (registered) and neither lost nor retired; an asset seen only through a loan is not counted.
        return bool(self.kind) and bool(self.status) and self.status not in IN_SERVICE_EXCLUDED


def merge_asset(old: Asset | None, new: Asset) -> Asset:
    if old is None:
        return new
    described = latest(old, new, "described_version")
    located = latest(old, new, "site_version")
    stated = latest(old, new, "status_version")
    return Asset(
        old.asset_tag, described.kind, described.funding_source, described.described_version,
        located.site, located.site_version, stated.status, stated.status_version,
    )


@dataclass(frozen=True)
class Loan:
    loan_id: str
    asset_tag: str = ""
    kind: str = ""
    site: str = ""
    mode: str = ""
    citizen_id: str | None = None
    start_day: str = ""  # "" while only a later event of the loan has been seen
    due_day: str = ""
    due_version: str = ""
    returned_day: str = ""
    returned_version: str = ""


def merge_loan(old: Loan | None, new: Loan) -> Loan:
    if old is None:
        return new
    due = latest(old, new, "due_version")
    back = latest(old, new, "returned_version")
    return Loan(
        old.loan_id, same(old.asset_tag, new.asset_tag), same(old.kind, new.kind), same(old.site, new.site),
        same(old.mode, new.mode), same(old.citizen_id, new.citizen_id) or None,
        same(old.start_day, new.start_day), due.due_day, due.due_version, back.returned_day, back.returned_version,
    )
