"""Reporting's tables (SQLAlchemy Core) and the mapping between a fact and its row.

Every fact table is keyed by the aggregate the fact describes; list fields are stored ``|``-joined
and a citizen is flattened into its five columns. Days are ISO strings (``YYYY-MM-DD``) in the
network's time zone, so periods are plain string ranges in SQL.
"""

import dataclasses
from collections.abc import Callable
from typing import Any, Generic, TypeVar, get_type_hints

from sqlalchemy import Boolean, Column, Float, Integer, MetaData, String, Table, Text

from services.reporting import equipment, model
from shared.messaging import MessagingTables

metadata = MetaData()
messaging = MessagingTables(metadata, "reporting")

F = TypeVar("F")


def _person(key: bool = False) -> list[Column]:
    return [
        Column("citizen_id", String(64), primary_key=key, index=not key),
        Column("age_bracket", String(32), nullable=False),
        Column("commune_insee", String(5)),
        Column("social_status", String(20), nullable=False),
        Column("gender", String(20), nullable=False),
    ]


def _id(name: str) -> Column:
    return Column(name, String(80), primary_key=True)


def _str(name: str, size: int = 80, index: bool = False) -> Column:
    return Column(name, String(size), nullable=True, index=index)


citizens = Table("reporting_citizens", metadata, *_person(key=True), _str("version", 120))
attendance = Table(
    "reporting_attendance", metadata, _id("booking_id"), _str("workshop_id", index=True), _str("site", 32, True),
    *_person(), _str("status", 12), Column("walk_in", Boolean), _str("day", 10, True), _str("version", 120),
)
sessions = Table(
    "reporting_sessions", metadata, _id("workshop_id"), _str("site", 32, True), _str("title", 160),
    Column("themes", Text), _str("level", 20), _str("day", 10, True), Column("duration_minutes", Integer),
    Column("capacity", Integer), Column("booked", Integer), Column("attended", Integer),
    Column("walk_ins", Integer), Column("no_shows", Integer), _str("version", 120),
)
accompaniments = Table(
    "reporting_accompaniments", metadata, _id("record_id"), _str("site", 32, True), _str("staff_id", 64),
    *_person(), _str("day", 10, True), Column("duration_minutes", Integer), Column("themes", Text),
    Column("admin_themes", Text), _str("place_type", 20), Column("equipment", Text), _str("autonomy", 40),
    Column("first_time", Boolean), _str("redirected_to", 60), _str("version", 120),
)
workshops = Table(
    "reporting_workshops", metadata, _id("workshop_id"), _str("site", 32), _str("title", 160),
    Column("themes", Text), _str("level", 20), Column("capacity", Integer), _str("day", 10, True),
    _str("times_version", 120), Column("cancelled", Boolean),
)
bookings = Table(
    "reporting_bookings", metadata, _id("booking_id"), _str("site", 32, True), _str("citizen_id", 64),
    _str("workshop_id", index=True), _str("resource_id"), _str("day", 10, True), _str("day_version", 120),
    Column("confirmed", Boolean), Column("waitlisted", Boolean), Column("promoted", Boolean),
    _str("cancel_reason", 40), _str("cancel_version", 120),
)
assets = Table(
    "reporting_assets", metadata, _id("asset_tag"), _str("kind", 20), _str("funding_source", 40),
    _str("described_version", 120), _str("site", 32), _str("site_version", 120), _str("status", 20),
    _str("status_version", 120),
)
loans = Table(
    "reporting_loans", metadata, _id("loan_id"), _str("asset_tag"), _str("kind", 20), _str("site", 32, True),
    _str("mode", 20), _str("citizen_id", 64), _str("start_day", 10, True), _str("due_day", 10),
    _str("due_version", 120), _str("returned_day", 10), _str("returned_version", 120),
)
notices = Table(
    "reporting_notices", metadata, _id("delivery_key"), _str("kind", 60), _str("site", 32),
    _str("audience", 20), _str("day", 10, True), _str("version", 120),
)
rejections = Table(
    "reporting_rejections", metadata, _id("record_id"), _str("event_type", 80), _str("site", 32),
    _str("day", 10), _str("reason", 60), Column("detail", Text), _str("version", 120),
)
# Filled by the multi-site work (sync health per site); the dashboard only reads it.
site_status = Table(
    "reporting_site_status", metadata, _id("site"), _str("state", 20), Column("pending", Integer),
    Column("last_seen_at", Float), Column("detail", Text), Column("updated_at", Float),
)


@dataclasses.dataclass(frozen=True)
class Rejected:
    """A record refused by reporting's own checks (national rules the event schema cannot express)."""

    record_id: str
    event_type: str
    site: str
    day: str
    reason: str
    detail: str
    version: str


def merge_rejected(old: Rejected | None, new: Rejected) -> Rejected:
    return new if old is None or new.version > old.version else old


PERSON_FIELDS = tuple(f.name for f in dataclasses.fields(model.Person))


class FactTable(Generic[F]):
    """How one fact class is stored: its table, key, merge rule and row mapping."""

    def __init__(self, table: Table, cls: type[F], key: str, merge: Callable[[F | None, F], F]) -> None:
        self.table, self.cls, self.key, self.merge = table, cls, key, merge
        self.key_column = table.c[key]
        self._types = get_type_hints(cls)
        # Read once: dataclasses.fields() and asdict() per fact were a third of the hub's reporting time.
        self._names = tuple(f.name for f in dataclasses.fields(cls))  # type: ignore[arg-type]

    def key_of(self, fact: F) -> str:
        if isinstance(fact, model.Citizen):
            return fact.person.citizen_id
        return str(getattr(fact, self.key))

    def to_row(self, fact: F) -> dict[str, Any]:
        row: dict[str, Any] = {}
        for name in self._names:
            value = getattr(fact, name)
            if isinstance(value, model.Person):
                for field in PERSON_FIELDS:
                    row[field] = getattr(value, field)
            elif isinstance(value, tuple):
                row[name] = "|".join(value)
            else:
                row[name] = value
        return row

    def from_row(self, row: Any) -> F:
        values: dict[str, Any] = {}
        mapping = row._mapping
        for f in dataclasses.fields(self.cls):  # type: ignore[arg-type]
            kind = self._types[f.name]
            if kind is model.Person:
                values[f.name] = model.Person(**{p: mapping[p] for p in PERSON_FIELDS})
            elif getattr(kind, "__origin__", None) is tuple:
                values[f.name] = tuple(v for v in (mapping[f.name] or "").split("|") if v)
            elif kind is bool:
                values[f.name] = bool(mapping[f.name])
            else:
                values[f.name] = mapping[f.name]
        return self.cls(**values)


FACT_TABLES: dict[type, FactTable[Any]] = {
    t.cls: t
    for t in (
        FactTable(citizens, model.Citizen, "citizen_id", model.merge_citizen),
        FactTable(attendance, model.Attendance, "booking_id", model.merge_attendance),
        FactTable(sessions, model.Session, "workshop_id", model.merge_session),
        FactTable(accompaniments, model.Accompaniment, "record_id", model.merge_accompaniment),
        FactTable(workshops, model.Workshop, "workshop_id", model.merge_workshop),
        FactTable(bookings, model.BookingFact, "booking_id", model.merge_booking),
        FactTable(assets, equipment.Asset, "asset_tag", equipment.merge_asset),
        FactTable(loans, equipment.Loan, "loan_id", equipment.merge_loan),
        FactTable(notices, model.Notice, "delivery_key", model.merge_notice),
        FactTable(rejections, Rejected, "record_id", merge_rejected),
    )
}
READ_MODELS = [t.table for t in FACT_TABLES.values()]
