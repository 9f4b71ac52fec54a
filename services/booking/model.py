"""Booking rules in plain Python: capacity, waitlist order, windows, limits, attendance.

No I/O and no framework here: a rule is changed in this file and tested in tests/unit.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from operator import attrgetter


class Refusal(Exception):
    """A request the rules say no to; ``reason`` is the code front-ends switch on."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class Status(StrEnum):
    confirmed = "confirmed"
    waitlisted = "waitlisted"
    cancelled = "cancelled"
    attended = "attended"
    no_show = "no_show"


ACTIVE = (Status.confirmed, Status.waitlisted)
SEATED = (Status.confirmed, Status.attended)
_queue_seq = attrgetter("queue_seq")


@dataclass(frozen=True)
class Citizen:
    citizen_id: str
    age_bracket: str = "non_communique"
    commune_insee: str | None = None
    status: str = "non_communique"
    gender: str = "non_communique"


@dataclass(frozen=True)
class Rules:
    opens_before: timedelta = timedelta(days=60)
    closes_before: timedelta = timedelta(hours=1)
    max_active_bookings: int = 5


@dataclass
class Booking:
    booking_id: str
    request_id: str
    citizen: Citizen
    status: Status
    starts_at: datetime
    ends_at: datetime
    workshop_id: str | None = None
    resource_id: str | None = None
    queue_seq: int = 0
    walk_in: bool = False
    booked_by_staff: str | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE


@dataclass
class Workshop:
    workshop_id: str
    site: str
    room: str
    title: str
    themes: list[str]
    level: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    series_id: str | None = None
    status: str = "scheduled"  # scheduled | cancelled | closed
    queue_counter: int = 0
    escrow_seats: int = 0  # set aside for the hub to confirm while this site is offline
    bookings: list[Booking] = field(default_factory=list)  # only ever appended to
    # Existing bookings whose status or times a rule changed since the workshop was loaded or saved:
    # the repository writes back these (and the new ones) instead of comparing every booking.
    changed: list[Booking] = field(default_factory=list, repr=False, compare=False)
    # citizen id -> their bookings here, indexed as ``bookings`` grows: "already booked?" is asked
    # for every seat requested, and a loop over a 60-seat workshop with its waitlist cost 9% of it.
    _by_citizen: dict[str, list[Booking]] = field(default_factory=dict, repr=False, compare=False)
    _indexed: int = field(default=0, repr=False, compare=False)
    # Seats taken and the waitlist, counted as ``bookings`` grows and again after a status changed
    # (``_set``): every seat requested asks both, and counting a long waitlist each time cost 9%.
    _seated: int = field(default=0, repr=False, compare=False)
    _waiting: list[Booking] = field(default_factory=list, repr=False, compare=False)
    _counted: int = field(default=0, repr=False, compare=False)
    _status_changes: int = field(default=0, repr=False, compare=False)
    _counted_changes: int = field(default=0, repr=False, compare=False)

    @property
    def free_seats(self) -> int:
        return self.capacity - self.seats_taken - self.escrow_seats

    @property
    def seats_taken(self) -> int:
        self._count()
        return self._seated

    @property
    def waitlist(self) -> list[Booking]:
        self._count()
        return list(self._waiting)

    def _count(self) -> None:
        if self._counted_changes != self._status_changes:
            self._seated, self._waiting, self._counted = 0, [], 0
            self._counted_changes = self._status_changes
        if self._counted < len(self.bookings):
            queued = len(self._waiting)
            for b in self.bookings[self._counted:]:
                if b.status in SEATED:
                    self._seated += 1
                elif b.status == Status.waitlisted:
                    self._waiting.append(b)
            if len(self._waiting) != queued:
                self._waiting.sort(key=_queue_seq)
            self._counted = len(self.bookings)

    @property
    def duration_minutes(self) -> int:
        return int((self.ends_at - self.starts_at).total_seconds() // 60)

    def holder(self, citizen_id: str) -> Booking | None:
        if self._indexed < len(self.bookings):
            for b in self.bookings[self._indexed:]:
                self._by_citizen.setdefault(b.citizen.citizen_id, []).append(b)
            self._indexed = len(self.bookings)
        for b in self._by_citizen.get(citizen_id, ()):
            # Checked again: erasure may have replaced the citizen of an indexed booking.
            if b.citizen.citizen_id == citizen_id and b.status != Status.cancelled:
                return b
        return None

    def _set(self, booking: Booking, status: Status) -> None:
        # Every status change of a booking already in ``bookings`` goes through here.
        booking.status = status
        self.changed.append(booking)
        self._status_changes += 1

    def find(self, booking_id: str) -> Booking | None:
        return next((b for b in self.bookings if b.booking_id == booking_id), None)

    def request_seat(
        self, booking_id: str, request_id: str, citizen: Citizen, *, now: datetime, rules: Rules,
        active_bookings: int, by_staff: str | None = None,
    ) -> Booking:
        """Confirm a seat, or put the person on the waitlist, or refuse with a reason."""
        self._check_open(now, rules, by_staff is not None)
        if self.holder(citizen.citizen_id) is not None:
            raise Refusal("duplicate", "Cette personne est déjà inscrite à cet atelier.")
        if active_bookings >= rules.max_active_bookings:
            raise Refusal(
                "limit_reached",
                f"Limite de {rules.max_active_bookings} réservations en cours atteinte pour cette personne.",
            )
        status = Status.confirmed if self.free_seats > 0 else Status.waitlisted
        self.queue_counter += 1
        booking = Booking(
            booking_id, request_id, citizen, status, self.starts_at, self.ends_at,
            workshop_id=self.workshop_id, queue_seq=self.queue_counter, booked_by_staff=by_staff,
        )
        self.bookings.append(booking)
        return booking

    def grant_escrow(self, seats: int) -> None:
        if self.status != "scheduled":
            raise Refusal("not_scheduled", "Cet atelier est annulé ou déjà clos.")
        if seats > self.free_seats:
            raise Refusal("full", f"Seulement {self.free_seats} place(s) libre(s) à confier au pôle.")
        self.escrow_seats += seats

    def fill_escrow(self, booking_id: str, request_id: str, citizen: Citizen) -> Booking:
        """The hub confirmed someone within the quota: the seat set aside becomes theirs. Should the
        quota be gone (never by construction), capacity still wins: the person is waitlisted."""
        self.queue_counter += 1
        if self.escrow_seats > 0:
            self.escrow_seats -= 1
            status = Status.confirmed
        else:
            status = Status.confirmed if self.free_seats > 0 else Status.waitlisted
        booking = Booking(
            booking_id, request_id, citizen, status, self.starts_at, self.ends_at,
            workshop_id=self.workshop_id, queue_seq=self.queue_counter,
        )
        self.bookings.append(booking)
        return booking

    def waitlist_position(self, booking: Booking) -> int:
        # By identity: list.index would compare every field of every booking ahead in the queue. The
        # counted list itself, not the copy ``waitlist`` hands out: this runs for every person queued.
        self._count()
        return next(n for n, b in enumerate(self._waiting, start=1) if b is booking)

    def _check_open(self, now: datetime, rules: Rules, by_staff: bool) -> None:
        if self.status == "cancelled":
            raise Refusal("cancelled_workshop", "Cet atelier a été annulé.")
        if self.status == "closed" or now >= self.starts_at:
            raise Refusal("past", "Cet atelier a déjà commencé ou est terminé.")
        if now < self.starts_at - rules.opens_before:
            opens = (self.starts_at - rules.opens_before).date().isoformat()
            raise Refusal("not_open_yet", f"Les inscriptions ouvrent le {opens}.")
        # Staff booking for someone on the phone or at the desk may happen until the start.
        if not by_staff and now > self.starts_at - rules.closes_before:
            raise Refusal("closed", "Les inscriptions en ligne sont closes pour cet atelier.")

    def cancel(self, booking_id: str, now: datetime) -> tuple[Booking, Status, Booking | None]:
        """Cancel a booking; the first on the waitlist takes a freed seat. Returns (booking, was, promoted)."""
        booking = self.find(booking_id)
        if booking is None or not booking.active:
            raise Refusal("not_active", "Cette réservation n'est pas (ou plus) active.")
        if now >= self.starts_at:
            raise Refusal("past", "L'atelier a commencé : l'absence sera notée à la clôture.")
        was = booking.status
        self._set(booking, Status.cancelled)
        promoted = None
        if was == Status.confirmed and self.waitlist and self.status == "scheduled" and self.free_seats > 0:
            promoted = self.waitlist[0]
            self._set(promoted, Status.confirmed)
        return booking, was, promoted

    def cancel_all(self) -> list[tuple[Booking, Status]]:
        """Staff cancel the whole session: every active booking is released."""
        if self.status != "scheduled":
            raise Refusal("not_scheduled", "Cet atelier est déjà annulé ou clos.")
        self.status = "cancelled"
        released = []
        for booking in self.bookings:
            if booking.active:
                released.append((booking, booking.status))
                self._set(booking, Status.cancelled)
        return released

    def reschedule(self, starts_at: datetime, ends_at: datetime, room: str | None, now: datetime) -> None:
        if self.status != "scheduled":
            raise Refusal("not_scheduled", "Seul un atelier programmé peut être déplacé.")
        if starts_at <= now:
            raise Refusal("past", "La nouvelle date est déjà passée.")
        self.starts_at, self.ends_at = starts_at, ends_at
        self.room = room or self.room
        for booking in self.bookings:
            booking.starts_at, booking.ends_at = starts_at, ends_at
        self.changed += self.bookings

    def check_in(self, booking_id: str) -> Booking:
        booking = self.find(booking_id)
        if booking is None:
            raise Refusal("unknown_booking", "Réservation inconnue pour cet atelier.")
        if self.status != "scheduled":
            raise Refusal("not_scheduled", "Cet atelier est annulé ou déjà clos.")
        if booking.status == Status.attended:
            raise Refusal("already_checked_in", "Cette personne est déjà pointée présente.")
        if booking.status != Status.confirmed:
            raise Refusal("not_confirmed", "Cette réservation n'est pas confirmée (liste d'attente ou annulée).")
        self._set(booking, Status.attended)
        return booking

    def walk_in(self, booking_id: str, request_id: str, citizen: Citizen, *, override: bool) -> Booking:
        """Someone at the door without a booking: a seat if one is free, or if staff override."""
        if self.status != "scheduled":
            raise Refusal("not_scheduled", "Cet atelier est annulé ou déjà clos.")
        existing = self.holder(citizen.citizen_id)
        if existing is not None and existing.status == Status.confirmed:
            return self.check_in(existing.booking_id)
        if existing is not None and existing.status == Status.attended:
            raise Refusal("already_checked_in", "Cette personne est déjà pointée présente.")
        if self.free_seats <= 0 and not override:
            raise Refusal("full", "Plus de place dans cet atelier (un médiateur peut forcer l'entrée).")
        if existing is not None:  # on the waitlist and came anyway
            existing.walk_in = True
            self._set(existing, Status.attended)
            return existing
        self.queue_counter += 1
        booking = Booking(
            booking_id, request_id, citizen, Status.attended, self.starts_at, self.ends_at,
            workshop_id=self.workshop_id, queue_seq=self.queue_counter, walk_in=True,
        )
        self.bookings.append(booking)
        return booking

    def close(self) -> tuple[list[Booking], list[Booking]]:
        """End of session: confirmed bookings nobody checked in become no-shows (counted, not dropped).
        People still on the waitlist never had a seat: their bookings are released.
        Returns (no_shows, released_waitlist)."""
        if self.status != "scheduled":
            raise Refusal("not_scheduled", "Cet atelier est annulé ou déjà clos.")
        self.status = "closed"
        no_shows, released = [], []
        for booking in self.bookings:
            if booking.status == Status.confirmed:
                self._set(booking, Status.no_show)
                no_shows.append(booking)
            elif booking.status == Status.waitlisted:
                self._set(booking, Status.cancelled)
                released.append(booking)
        return no_shows, released

    def summary(self) -> dict[str, int]:
        attended = [b for b in self.bookings if b.status == Status.attended]
        return {
            "booked": sum(1 for b in self.bookings if b.status in (Status.attended, Status.no_show) and not b.walk_in),
            "attended": len(attended),
            "walk_ins": sum(1 for b in attended if b.walk_in),
            "no_shows": sum(1 for b in self.bookings if b.status == Status.no_show),
        }


def weekly_series(starts_at: datetime, ends_at: datetime, occurrences: int) -> list[tuple[datetime, datetime]]:
    week = timedelta(weeks=1)
    return [(starts_at + i * week, ends_at + i * week) for i in range(occurrences)]


@dataclass
class Resource:
    """A workstation or a médiateur's agenda: one person per time slot, never two."""

    resource_id: str
    site: str
    kind: str
    name: str
    slots: list[Booking] = field(default_factory=list)
    changed: list[Booking] = field(default_factory=list, repr=False, compare=False)  # as Workshop.changed

    def book_slot(
        self, booking_id: str, request_id: str, citizen: Citizen, starts_at: datetime, ends_at: datetime, *,
        now: datetime, rules: Rules, active_bookings: int, by_staff: str | None = None,
    ) -> Booking:
        if starts_at <= now:
            raise Refusal("past", "Ce créneau est déjà passé.")
        if starts_at - rules.opens_before > now:
            raise Refusal("not_open_yet", "Ce créneau n'est pas encore ouvert à la réservation.")
        if active_bookings >= rules.max_active_bookings:
            raise Refusal(
                "limit_reached",
                f"Limite de {rules.max_active_bookings} réservations en cours atteinte pour cette personne.",
            )
        for slot in self.slots:
            if slot.status == Status.confirmed and slot.starts_at < ends_at and starts_at < slot.ends_at:
                raise Refusal("slot_taken", "Ce créneau est déjà réservé.")
        booking = Booking(
            booking_id, request_id, citizen, Status.confirmed, starts_at, ends_at,
            resource_id=self.resource_id, booked_by_staff=by_staff,
        )
        self.slots.append(booking)
        return booking

    def find(self, booking_id: str) -> Booking | None:
        return next((b for b in self.slots if b.booking_id == booking_id), None)

    def cancel(self, booking_id: str, now: datetime) -> tuple[Booking, Status]:
        booking = self.find(booking_id)
        if booking is None or not booking.active:
            raise Refusal("not_active", "Cette réservation n'est pas (ou plus) active.")
        if now >= booking.starts_at:
            raise Refusal("past", "Le créneau a commencé.")
        was = booking.status
        booking.status = Status.cancelled
        self.changed.append(booking)
        return booking, was


def series_ids(workshop_id: str, occurrences: int) -> list[str]:
    """The ids of a weekly series: ``<id>-1`` … ``<id>-N`` (a single session keeps its id)."""
    if occurrences == 1:
        return [workshop_id]
    return [f"{workshop_id}-{i + 1}" for i in range(occurrences)]
