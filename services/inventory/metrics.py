"""Inventory's business gauges (DESIGN §6): names ``maillage_inventory_*``, labels ``service`` and ``site``."""

from prometheus_client import Gauge

ASSETS = Gauge(
    "maillage_inventory_assets", "Assets by holding site and status", ["service", "site", "holding_site", "status"]
)
LOANS = Gauge("maillage_inventory_loans", "Loans by state (active, overdue)", ["service", "site", "state"])
IN_TRANSIT = Gauge(
    "maillage_inventory_transfers_in_transit", "Transferred items dispatched and not yet received", ["service", "site"]
)
CONFLICTS_OPEN = Gauge(
    "maillage_inventory_conflicts_open", "Ownership conflicts waiting for staff", ["service", "site"]
)
