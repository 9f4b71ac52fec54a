"""Booking's tables and how rows map to model objects (SQLAlchemy Core: batch inserts stay cheap)."""

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Boolean, Column, Float, Integer, MetaData, String, Table

from services.booking.model import Booking, Citizen, Status, Workshop
from shared.messaging import MessagingTables

metadata = MetaData()
messaging = MessagingTables(metadata, "booking")

workshops = Table(
    "booking_workshops", metadata,
    Column("workshop_id", String(80), primary_key=True),
    Column("request_id", String(80), nullable=False),
    Column("series_id", String(80)),
    Column("site", String(32), nullable=False, index=True),
    Column("room", String(80), nullable=False),
    Column("title", String(160), nullable=False),
    Column("themes", String(400), nullable=False),
    Column("level", String(20), nullable=False),
    Column("starts_at", Float, nullable=False, index=True),
    Column("ends_at", Float, nullable=False),
    Column("capacity", Integer, nullable=False),
    Column("status", String(12), nullable=False),
    Column("queue_counter", Integer, nullable=False),
    Column("escrow_seats", Integer, nullable=False, default=0, server_default="0"),
    # Bumped at every change: a cached copy of the workshop is reused only while it matches.
    Column("version", Integer, nullable=False, default=0),
)
resources = Table(
    "booking_resources", metadata,
    Column("resource_id", String(80), primary_key=True),
    Column("site", String(32), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("name", String(80), nullable=False),
)
# Workshops and resources other nodes own, learnt from their events: a request made here for one of
# them is answered "pending" instead of "unknown" while the owner decides.
elsewhere = Table(
    "booking_elsewhere", metadata,
    Column("item_id", String(80), primary_key=True),
    Column("site", String(32), nullable=False),
    Column("starts_at", Float),
    Column("ends_at", Float),
    Column("escrow", Integer, nullable=False, default=0, server_default="0"),  # seats the hub may confirm
    Column("escrow_used", Integer, nullable=False, default=0, server_default="0"),
)

bookings = Table(
    "booking_bookings", metadata,
    Column("booking_id", String(80), primary_key=True),
    Column("request_id", String(80), nullable=False, unique=True),
    Column("workshop_id", String(80), index=True),
    Column("resource_id", String(80), index=True),
    Column("citizen_id", String(64), nullable=False, index=True),
    Column("age_bracket", String(32), nullable=False),
    Column("commune_insee", String(5)),
    Column("social_status", String(20), nullable=False),
    Column("gender", String(20), nullable=False),
    Column("status", String(12), nullable=False),
    Column("starts_at", Float, nullable=False),
    Column("ends_at", Float, nullable=False),
    Column("queue_seq", Integer, nullable=False),
    Column("walk_in", Boolean, nullable=False),
    Column("booked_by_staff", String(64)),
)


def ts(value: datetime) -> float:
    return value.timestamp()


def dt(value: float) -> datetime:
    return datetime.fromtimestamp(value, UTC)


def booking_row(b: Booking) -> dict[str, Any]:
    c = b.citizen
    return {
        "booking_id": b.booking_id, "request_id": b.request_id, "workshop_id": b.workshop_id,
        "resource_id": b.resource_id, "citizen_id": c.citizen_id, "age_bracket": c.age_bracket,
        "commune_insee": c.commune_insee, "social_status": c.status, "gender": c.gender,
        "status": str(b.status), "starts_at": ts(b.starts_at), "ends_at": ts(b.ends_at),
        "queue_seq": b.queue_seq, "walk_in": b.walk_in, "booked_by_staff": b.booked_by_staff,
    }


def booking_from(r: Any) -> Booking:
    citizen = Citizen(r.citizen_id, r.age_bracket, r.commune_insee, r.social_status, r.gender)
    return Booking(
        r.booking_id, r.request_id, citizen, Status(r.status), dt(r.starts_at), dt(r.ends_at),
        workshop_id=r.workshop_id, resource_id=r.resource_id, queue_seq=r.queue_seq,
        walk_in=bool(r.walk_in), booked_by_staff=r.booked_by_staff,
    )


def workshop_row(w: Workshop) -> dict[str, Any]:
    return {
        "workshop_id": w.workshop_id, "series_id": w.series_id, "site": w.site, "room": w.room,
        "title": w.title, "themes": "|".join(w.themes), "level": w.level, "starts_at": ts(w.starts_at),
        "ends_at": ts(w.ends_at), "capacity": w.capacity, "status": w.status, "queue_counter": w.queue_counter,
        "escrow_seats": w.escrow_seats,
    }


def workshop_from(r: Any) -> Workshop:
    return Workshop(
        r.workshop_id, r.site, r.room, r.title, r.themes.split("|"), r.level, dt(r.starts_at), dt(r.ends_at),
        r.capacity, series_id=r.series_id, status=r.status, queue_counter=r.queue_counter,
        escrow_seats=r.escrow_seats or 0,
    )


