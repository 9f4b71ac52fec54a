"""Inventory's tables (SQLAlchemy Core) and how each domain object maps to a row."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Date, Float, Integer, MetaData, String, Table, Text

from services.inventory.findings import Conflict
from services.inventory.lending import Loan
from services.inventory.model import Asset, Citizen, Repair
from services.inventory.planning import Reservation
from services.inventory.transfers import Transfer, TransferItem
from shared.contract.inventory import AssetStatus, LoanMode
from shared.messaging import MessagingTables

metadata = MetaData()
messaging = MessagingTables(metadata, "inventory")
_ID = BigInteger().with_variant(Integer(), "sqlite")


def _tag(name: str = "asset_tag", **kw: Any) -> Column:
    return Column(name, String(80), **kw)


assets = Table(
    "inventory_assets", metadata,
    _tag(primary_key=True),
    Column("kind", String(20), nullable=False, index=True),
    Column("model", String(120), nullable=False),
    Column("serial", String(120), nullable=False),
    Column("purchase_date", Date),
    Column("price_cents", BigInteger, nullable=False),
    Column("funding_source", String(40), nullable=False, index=True),
    Column("condition", String(12), nullable=False),
    Column("site", String(32), nullable=False, index=True),
    Column("status", String(16), nullable=False, index=True),
    Column("notes", Text, nullable=False),
)
loans = Table(
    "inventory_loans", metadata,
    Column("loan_id", String(80), primary_key=True),
    Column("request_id", String(80), nullable=False),
    _tag(nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("site", String(32), nullable=False, index=True),
    Column("mode", String(12), nullable=False),
    Column("citizen_id", String(64), index=True),
    Column("age_bracket", String(32)),
    Column("commune_insee", String(5)),
    Column("social_status", String(20)),
    Column("gender", String(20)),
    Column("started_at", Float, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("due_at", Float, nullable=False, index=True),
    Column("agreement_signed", Boolean, nullable=False),
    Column("deposit_cents", BigInteger),
    Column("reservation_id", String(80)),
    Column("renewals", Integer, nullable=False),
    Column("reminder_level", Integer, nullable=False),
    Column("status", String(10), nullable=False, index=True),
    Column("returned_at", Float),
    Column("return_condition", String(12)),
)
transfers = Table(
    "inventory_transfers", metadata,
    Column("transfer_id", String(80), primary_key=True),
    Column("request_id", String(80), nullable=False),
    Column("from_site", String(32), nullable=False),
    Column("to_site", String(32), nullable=False),
    Column("dispatched_at", Float, nullable=False, index=True),
)
transfer_items = Table(
    "inventory_transfer_items", metadata,
    Column("transfer_id", String(80), primary_key=True),
    _tag(primary_key=True),
    Column("state", String(12), nullable=False, index=True),
    Column("received_at", Float),
    Column("alerted", Boolean, nullable=False),
)
reservations = Table(
    "inventory_reservations", metadata,
    Column("reservation_id", String(80), primary_key=True),
    Column("request_id", String(80), nullable=False),
    Column("site", String(32), nullable=False),
    Column("starts_at", Float, nullable=False, index=True),
    Column("ends_at", Float, nullable=False, index=True),
    Column("kind", String(20)),
    Column("workshop_id", String(80), index=True),
    Column("state", String(10), nullable=False, index=True),
)
reservation_items = Table(
    "inventory_reservation_items", metadata,
    Column("reservation_id", String(80), primary_key=True),
    _tag(primary_key=True, index=True),
)
repairs = Table(
    "inventory_repairs", metadata,
    Column("repair_id", String(80), primary_key=True),
    _tag(nullable=False, index=True),
    Column("site", String(32), nullable=False),
    Column("sent_at", Float, nullable=False),
    Column("notes", Text, nullable=False),
    Column("repairer", String(120), nullable=False),
    Column("returned_at", Float),
    Column("return_notes", Text, nullable=False),
    Column("cost_cents", BigInteger, nullable=False),
)
conflicts = Table(
    "inventory_conflicts", metadata,
    Column("conflict_id", String(80), primary_key=True),
    Column("request_id", String(80), nullable=False),
    _tag(nullable=False, index=True),
    Column("action", String(80), nullable=False),
    Column("node_site", String(32), nullable=False),
    Column("holding_site", String(32), nullable=False),
    Column("recorded_status", String(16), nullable=False),
    Column("detected_at", Float, nullable=False),
    Column("status", String(10), nullable=False, index=True),
    Column("resolution", Text, nullable=False),
    Column("resolved_at", Float),
)
requests = Table(  # requests already answered with a fact: a retry gets "duplicate", never a second fact
    "inventory_requests", metadata,
    Column("request_id", String(80), primary_key=True),
    Column("request_type", String(80), nullable=False),
    Column("processed_at", Float, nullable=False),
)
history = Table(
    "inventory_history", metadata,
    Column("id", _ID, primary_key=True, autoincrement=True),
    _tag(nullable=False, index=True),
    Column("at", Float, nullable=False),
    Column("event_type", String(80), nullable=False),
    Column("event_id", String(80), nullable=False),
    Column("site", String(32)),
    Column("status", String(16)),
    Column("body", Text, nullable=False),
    Column("origin", String(32)),  # the node that produced the fact (None: recorded before there were several)
    sqlite_autoincrement=True,
)


def ts(value: datetime | None) -> float | None:
    return None if value is None else value.timestamp()


def dt(value: float | None) -> datetime | None:
    return None if value is None else datetime.fromtimestamp(value, UTC)


def dt_(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def asset_row(a: Asset) -> dict[str, Any]:
    return {**a.__dict__, "status": str(a.status)}


def asset_from(r: Any) -> Asset:
    return Asset(**{**r._asdict(), "status": AssetStatus(r.status)})


def loan_row(loan: Loan) -> dict[str, Any]:
    c = loan.citizen
    row = {k: v for k, v in loan.__dict__.items() if k != "citizen"}
    row.update(
        mode=str(loan.mode), started_at=ts(loan.started_at), due_at=ts(loan.due_at), returned_at=ts(loan.returned_at),
        citizen_id=c and c.citizen_id, age_bracket=c and c.age_bracket, commune_insee=c and c.commune_insee,
        social_status=c and c.status, gender=c and c.gender,
    )
    return row


def loan_from(r: Any) -> Loan:
    row = r._asdict()
    citizen = None
    if row["citizen_id"]:
        citizen = Citizen(r.citizen_id, r.age_bracket, r.commune_insee, r.social_status, r.gender)
    for name in ("citizen_id", "age_bracket", "commune_insee", "social_status", "gender"):
        row.pop(name)
    row.update(
        citizen=citizen, mode=LoanMode(r.mode), started_at=dt_(r.started_at), due_at=dt_(r.due_at),
        returned_at=dt(r.returned_at),
    )
    return Loan(**row)


def transfer_row(t: Transfer) -> dict[str, Any]:
    return {k: v for k, v in t.__dict__.items() if k != "items"} | {"dispatched_at": ts(t.dispatched_at)}


def transfer_from(r: Any) -> Transfer:
    return Transfer(**{**r._asdict(), "dispatched_at": dt_(r.dispatched_at)})


def item_row(i: TransferItem) -> dict[str, Any]:
    return {**i.__dict__, "received_at": ts(i.received_at)}


def item_from(r: Any) -> TransferItem:
    return TransferItem(**{**r._asdict(), "received_at": dt(r.received_at)})


def reservation_row(r: Reservation) -> dict[str, Any]:
    row = {k: v for k, v in r.__dict__.items() if k != "asset_tags"}
    return row | {"starts_at": ts(r.starts_at), "ends_at": ts(r.ends_at)}


def reservation_from(r: Any) -> Reservation:
    return Reservation(**{**r._asdict(), "starts_at": dt_(r.starts_at), "ends_at": dt_(r.ends_at), "asset_tags": []})


def repair_row(r: Repair) -> dict[str, Any]:
    return {**r.__dict__, "sent_at": ts(r.sent_at), "returned_at": ts(r.returned_at)}


def repair_from(r: Any) -> Repair:
    return Repair(**{**r._asdict(), "sent_at": dt_(r.sent_at), "returned_at": dt(r.returned_at)})


def conflict_row(c: Conflict) -> dict[str, Any]:
    return {**c.__dict__, "detected_at": ts(c.detected_at), "resolved_at": ts(c.resolved_at)}


def conflict_from(r: Any) -> Conflict:
    return Conflict(**{**r._asdict(), "detected_at": dt_(r.detected_at), "resolved_at": dt(r.resolved_at)})
