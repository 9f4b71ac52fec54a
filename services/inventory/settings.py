"""Inventory settings (env prefix ``MAILLAGE_``): known sites, loan lengths, alert delays."""

from pydantic import Field

from shared.settings import NodeSettings

KNOWN_SITES = ("hub", "trebes", "conques", "alzonne", "capendu", "montolieu")

# Days a take-home loan lasts by default, per kind of asset.
DEFAULT_LOAN_DAYS = {
    "laptop": 28, "desktop": 28, "tablet": 21, "phone": 14, "printer": 14, "hotspot": 14, "kit": 14, "other": 14,
}


class InventorySettings(NodeSettings):
    known_sites: list[str] = Field(default=list(KNOWN_SITES), description="sites of the network (JSON list)")
    loan_days: dict[str, int] = Field(default=dict(DEFAULT_LOAN_DAYS), description="take-home loan length per kind")
    loan_max_renewals: int = Field(default=2, ge=0)
    loan_due_soon_days: int = Field(default=2, ge=0, description="'due soon' reminder N days before")
    loan_long_overdue_days: int = Field(default=14, ge=1, description="'long overdue' N days after due")
    transfer_alert_days: int = Field(default=3, ge=1, description="alert when a transfer is not received")
    reservation_hold_hours: int = Field(default=2, ge=0, description="set reserved items aside N hours before")
    timezone: str = Field(default="Europe/Paris", description="local day for due dates and on-site loans")
    deadline_check_seconds: float = Field(default=300.0, gt=0, description="period of the deadline sweep")
