"""Reservations of equipment for a future window. Plain Python, no I/O.

A reservation never overlaps another active one for the same asset. Reserving by kind picks free
assets held by the node (on the shelf first, then those back from loan before the window). Shortly
before the window (``Rules.hold_lead``) the items on the shelf are set aside (status ``reserved``);
after it, or when the reservation is cancelled, whatever is still set aside is available again.
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from services.inventory.model import KIND_LABELS, STATUS_LABELS, Asset, Refusal, S

ACTIVE = ("booked", "held")


def overlaps(a_start: datetime, a_end: datetime, b_start: datetime, b_end: datetime) -> bool:
    return a_start < b_end and b_start < a_end


class HasDueAt(Protocol):
    @property
    def due_at(self) -> datetime: ...


@dataclass
class Reservation:
    reservation_id: str
    request_id: str
    site: str
    starts_at: datetime
    ends_at: datetime
    asset_tags: list[str]
    kind: str | None = None
    workshop_id: str | None = None
    state: str = "booked"  # booked | held | ended | cancelled

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    def clashes(self, tag: str, start: datetime, end: datetime) -> bool:
        return self.active and tag in self.asset_tags and overlaps(start, end, self.starts_at, self.ends_at)

    def in_hold_window(self, now: datetime, lead: timedelta) -> bool:
        return self.active and self.starts_at - lead <= now < self.ends_at

    def cancel(self) -> None:
        if not self.active:
            raise Refusal("not_active", f"La réservation {self.reservation_id} est déjà terminée ou annulée.")
        self.state = "cancelled"


def free_for(
    asset: Asset, start: datetime, end: datetime, reservations: Iterable[Reservation], loan: HasDueAt | None
) -> bool:
    """Can ``asset`` be promised for [start, end)?"""
    if any(r.clashes(asset.asset_tag, start, end) for r in reservations):
        return False
    if asset.status in (S.available, S.reserved):
        return True
    return asset.status in (S.on_loan, S.in_use_on_site) and loan is not None and loan.due_at <= start


def reserve_tags(
    assets: list[Asset], start: datetime, end: datetime,
    reservations: Mapping[str, list[Reservation]], loans: Mapping[str, HasDueAt],
) -> list[str]:
    for asset in assets:
        if any(r.clashes(asset.asset_tag, start, end) for r in reservations.get(asset.asset_tag, [])):
            raise Refusal("overlap", f"{asset.asset_tag} est déjà réservé sur une partie de ce créneau.")
        if not free_for(asset, start, end, [], loans.get(asset.asset_tag)):
            raise Refusal("not_available", f"{asset.asset_tag} ne sera pas disponible ({STATUS_LABELS[asset.status]}).")
    return [a.asset_tag for a in assets]


def pick_by_kind(
    candidates: Iterable[Asset], kind: str, quantity: int, start: datetime, end: datetime,
    reservations: Mapping[str, list[Reservation]], loans: Mapping[str, HasDueAt],
) -> list[str]:
    free = [
        a for a in candidates
        if a.kind == kind and free_for(a, start, end, reservations.get(a.asset_tag, []), loans.get(a.asset_tag))
    ]
    if len(free) < quantity:
        raise Refusal(
            "not_enough_assets",
            f"{len(free)} {KIND_LABELS.get(kind, kind)}(s) libre(s) sur ce créneau, {quantity} demandé(s).",
        )
    free.sort(key=lambda a: (a.status != S.available, a.asset_tag))
    return [a.asset_tag for a in free[:quantity]]


def move(
    reservation: Reservation, start: datetime, end: datetime,
    reservations: Mapping[str, list[Reservation]], loans: Mapping[str, HasDueAt], assets: Mapping[str, Asset],
) -> None:
    """Follow a rescheduled workshop if every item is free at the new time (all or nothing)."""
    for tag in reservation.asset_tags:
        others = [r for r in reservations.get(tag, []) if r is not reservation]
        asset = assets.get(tag)
        if asset is None or not free_for(asset, start, end, others, loans.get(tag)):
            raise Refusal("overlap", f"{tag} n'est pas libre au nouvel horaire.")
    reservation.starts_at, reservation.ends_at = start, end


def hold(reservation: Reservation, assets: Mapping[str, Asset]) -> tuple[list[str], list[str]]:
    """Set aside what is on the shelf; returns (held, unavailable)."""
    held, unavailable = [], []
    for tag in reservation.asset_tags:
        asset = assets.get(tag)
        if asset is not None and asset.status == S.available:
            asset.status = S.reserved
        if asset is not None and asset.status == S.reserved:
            held.append(tag)
        else:
            unavailable.append(tag)
    reservation.state = "held"
    return held, unavailable


def release(reservation: Reservation, assets: Mapping[str, Asset], still_needed: set[str]) -> list[str]:
    """Items set aside for ``reservation`` go back on the shelf, unless the next window needs them."""
    released = []
    for tag in reservation.asset_tags:
        asset = assets.get(tag)
        if asset is not None and asset.status == S.reserved and tag not in still_needed:
            asset.status = S.available
            released.append(tag)
    return released
