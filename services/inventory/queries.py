"""Read-only views of the inventory database, for the CLI and the gauges (no rules, no writes)."""

import json
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncConnection

from services.inventory import tables as t
from services.inventory.model import from_cents


@dataclass(frozen=True)
class AssetView:
    asset_tag: str
    kind: str
    model: str
    serial: str
    purchase_date: date | None
    purchase_price: Decimal
    funding_source: str
    condition: str
    site: str
    status: str
    notes: str


@dataclass(frozen=True)
class HistoryEntry:
    at: datetime
    event_type: str
    site: str | None
    status: str | None
    facts: dict[str, Any]


@dataclass(frozen=True)
class LoanView:
    loan_id: str
    asset_tag: str
    kind: str
    model: str
    site: str
    mode: str
    citizen_id: str | None
    started_at: datetime
    due_date: date
    due_at: datetime
    renewals: int

    def overdue(self, now: datetime) -> bool:
        return now >= self.due_at


@dataclass
class AssetSheet:
    asset: AssetView
    history: list[HistoryEntry]
    loan: LoanView | None = None
    transfer_to: str | None = None  # destination, while in transit


@dataclass
class Register:
    assets: list[AssetView]
    totals: dict[str, tuple[int, Decimal]] = field(default_factory=dict)  # funding source -> (count, value)


def _asset(r: Any) -> AssetView:
    values = {k: v for k, v in r._asdict().items() if k != "price_cents"}
    return AssetView(**values, purchase_price=from_cents(r.price_cents))


def _loan(r: Any) -> LoanView:
    return LoanView(
        r.loan_id, r.asset_tag, r.kind, r.model, r.site, r.mode, r.citizen_id, t.dt_(r.started_at), r.due_date,
        t.dt_(r.due_at), r.renewals,
    )


def _loan_query() -> Any:
    lo = t.loans.c
    return (
        select(lo.loan_id, lo.asset_tag, lo.kind, t.assets.c.model, lo.site, lo.mode, lo.citizen_id, lo.started_at,
               lo.due_date, lo.due_at, lo.renewals)
        .join(t.assets, t.assets.c.asset_tag == lo.asset_tag)
        .where(lo.status == "active")
    )


async def asset_sheet(conn: AsyncConnection, tag: str) -> AssetSheet | None:
    row = (await conn.execute(select(t.assets).where(t.assets.c.asset_tag == tag))).first()
    if row is None:
        return None
    h = t.history.c
    entries = await conn.execute(select(t.history).where(h.asset_tag == tag).order_by(h.id))
    sheet = AssetSheet(_asset(row), [
        HistoryEntry(t.dt_(e.at), e.event_type, e.site, e.status, json.loads(e.body)) for e in entries
    ])
    loan = (await conn.execute(_loan_query().where(t.loans.c.asset_tag == tag))).first()
    sheet.loan = _loan(loan) if loan else None
    i = t.transfer_items.c
    sheet.transfer_to = await conn.scalar(
        select(t.transfers.c.to_site).join(t.transfer_items, i.transfer_id == t.transfers.c.transfer_id)
        .where(i.asset_tag == tag, i.state == "in_transit")
    )
    return sheet


async def active_loans(conn: AsyncConnection, now: datetime, site: str | None = None,
                       overdue_only: bool = False) -> list[LoanView]:
    query = _loan_query().order_by(t.loans.c.due_at, t.loans.c.asset_tag)
    if site:
        query = query.where(t.loans.c.site == site)
    if overdue_only:
        query = query.where(t.loans.c.due_at <= now.timestamp())
    return [_loan(r) for r in await conn.execute(query)]


async def asset_register(conn: AsyncConnection) -> Register:
    """Every asset with its funding source, value, status and location; totals per funding source."""
    a = t.assets.c
    rows = await conn.execute(select(t.assets).order_by(a.funding_source, a.asset_tag))
    register = Register([_asset(r) for r in rows])
    for view in register.assets:
        count, value = register.totals.get(view.funding_source, (0, Decimal("0.00")))
        register.totals[view.funding_source] = (count + 1, value + view.purchase_price)
    return register


async def figures(conn: AsyncConnection, now: datetime, site: str | None = None) -> dict[str, Any]:
    """What the gauges show: assets by (site, status), loans active/overdue, items in transit, open conflicts.
    ``site``: a site node counts what it holds and its parcels, not its copies of others' (the hub, None,
    counts the whole network it hears from; a site keeps only the conflicts it has a part in)."""
    a, lo, tr, c = t.assets.c, t.loans.c, t.transfers.c, t.conflicts.c
    places = select(a.site, a.status, func.count()).group_by(a.site, a.status)
    loans = select(func.count()).where(lo.status == "active")
    i = t.transfer_items.c
    items = select(func.count()).select_from(t.transfer_items.join(t.transfers, i.transfer_id == tr.transfer_id))
    conflicts = select(func.count()).select_from(t.conflicts).where(c.status == "open")
    if site:
        places, loans = places.where(a.site == site), loans.where(lo.site == site)
        items = items.where(or_(tr.from_site == site, tr.to_site == site))
    by_place = Counter({(holder, status): n for holder, status, n in await conn.execute(places)})
    return {
        "assets": by_place,
        "loans_active": await conn.scalar(loans) or 0,
        "loans_overdue": await conn.scalar(loans.where(lo.due_at <= now.timestamp())) or 0,
        "in_transit": await conn.scalar(items.where(i.state == "in_transit")) or 0,
        "conflicts_open": await conn.scalar(conflicts) or 0,
    }
