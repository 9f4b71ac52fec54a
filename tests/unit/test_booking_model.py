"""Booking rules, without any I/O."""

from datetime import UTC, datetime, timedelta

import pytest

from services.booking.model import Citizen, Refusal, Resource, Rules, Status, Workshop, weekly_series

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
RULES = Rules(opens_before=timedelta(days=30), closes_before=timedelta(hours=2), max_active_bookings=3)


def workshop(capacity: int = 2, starts_in: timedelta = timedelta(days=1)) -> Workshop:
    starts = NOW + starts_in
    return Workshop("w1", "hub", "Salle", "Atelier", ["email"], "debutant", starts, starts + timedelta(hours=2),
                    capacity)


def book(w: Workshop, n: int, now: datetime = NOW, active: int = 0, staff: str | None = None) -> Status:
    return w.request_seat(f"b{n}", f"r{n}", Citizen(f"c{n}"), now=now, rules=RULES, active_bookings=active,
                          by_staff=staff).status


def test_capacity_then_waitlist_in_order() -> None:
    w = workshop(capacity=2)
    assert [book(w, n) for n in range(4)] == [Status.confirmed, Status.confirmed, Status.waitlisted, Status.waitlisted]
    assert [b.booking_id for b in w.waitlist] == ["b2", "b3"]
    assert w.waitlist_position(w.bookings[3]) == 2


def test_one_seat_per_person_and_active_limit() -> None:
    w = workshop()
    book(w, 1)
    with pytest.raises(Refusal) as dup:
        book(w, 1)
    assert dup.value.reason == "duplicate"
    with pytest.raises(Refusal) as limit:
        book(w, 2, active=3)
    assert limit.value.reason == "limit_reached"


@pytest.mark.parametrize(
    ("starts_in", "staff", "reason"),
    [
        (timedelta(days=31), None, "not_open_yet"),
        (timedelta(hours=1), None, "closed"),
        (timedelta(hours=-1), None, "past"),
        (timedelta(hours=-1), "staff-1", "past"),
    ],
)
def test_booking_window(starts_in: timedelta, staff: str | None, reason: str) -> None:
    with pytest.raises(Refusal) as refusal:
        book(workshop(starts_in=starts_in), 1, staff=staff)
    assert refusal.value.reason == reason


def test_staff_can_book_someone_on_the_phone_after_online_booking_closed() -> None:
    assert book(workshop(starts_in=timedelta(hours=1)), 1, staff="staff-1") == Status.confirmed


def test_cancelled_workshop_refuses_and_releases_everyone() -> None:
    w = workshop(capacity=1)
    book(w, 1)
    book(w, 2)
    released = w.cancel_all()
    assert [(b.booking_id, was) for b, was in released] == [("b1", Status.confirmed), ("b2", Status.waitlisted)]
    with pytest.raises(Refusal) as refusal:
        book(w, 3)
    assert refusal.value.reason == "cancelled_workshop"


def test_cancel_promotes_first_waitlisted_only_when_a_seat_frees() -> None:
    w = workshop(capacity=1)
    for n in range(3):
        book(w, n)
    _, was, promoted = w.cancel("b2", NOW)  # a waitlisted person leaves: nobody promoted
    assert was == Status.waitlisted and promoted is None
    _, was, promoted = w.cancel("b0", NOW)
    assert was == Status.confirmed and promoted is not None and promoted.booking_id == "b1"
    assert w.seats_taken == 1
    with pytest.raises(Refusal):
        w.cancel("b0", NOW)


def test_check_in_walk_in_and_close() -> None:
    w = workshop(capacity=2)
    book(w, 1)
    book(w, 2)
    book(w, 3)  # waitlisted
    assert w.check_in("b1").status == Status.attended
    with pytest.raises(Refusal) as again:
        w.check_in("b1")
    assert again.value.reason == "already_checked_in"
    with pytest.raises(Refusal) as waiting:
        w.check_in("b3")
    assert waiting.value.reason == "not_confirmed"
    with pytest.raises(Refusal) as full:
        w.walk_in("b9", "r9", Citizen("c9"), override=False)
    assert full.value.reason == "full"
    assert w.walk_in("b9", "r9", Citizen("c9"), override=True).walk_in
    no_shows, released = w.close()
    assert [b.booking_id for b in no_shows] == ["b2"]
    assert [b.booking_id for b in released] == ["b3"]
    assert w.summary() == {"booked": 2, "attended": 2, "walk_ins": 1, "no_shows": 1}
    with pytest.raises(Refusal):
        w.close()


def test_walk_in_of_a_booked_person_is_a_check_in() -> None:
    w = workshop(capacity=1)
    book(w, 1)
    assert w.walk_in("bx", "rx", Citizen("c1"), override=False).booking_id == "b1"


def test_reschedule_moves_bookings_with_the_session() -> None:
    w = workshop()
    book(w, 1)
    later = NOW + timedelta(days=3)
    w.reschedule(later, later + timedelta(hours=1), "Salle 2", NOW)
    assert (w.bookings[0].starts_at, w.room) == (later, "Salle 2")
    with pytest.raises(Refusal):
        w.reschedule(NOW - timedelta(hours=1), NOW, None, NOW)


def test_slots_never_double_booked() -> None:
    r = Resource("poste-1", "hub", "workstation", "Poste 1")
    start = NOW + timedelta(hours=3)

    def slot(n: int, offset_minutes: int) -> Status:
        s = start + timedelta(minutes=offset_minutes)
        return r.book_slot(f"s{n}", f"r{n}", Citizen(f"c{n}"), s, s + timedelta(hours=1), now=NOW, rules=RULES,
                           active_bookings=0).status

    assert slot(1, 0) == Status.confirmed
    with pytest.raises(Refusal) as taken:
        slot(2, 30)
    assert taken.value.reason == "slot_taken"
    assert slot(3, 60) == Status.confirmed  # back to back is fine
    r.cancel("s1", NOW)
    assert slot(4, 0) == Status.confirmed


def test_weekly_series() -> None:
    dates = weekly_series(NOW, NOW + timedelta(hours=1), 3)
    assert [d[0] - NOW for d in dates] == [timedelta(0), timedelta(weeks=1), timedelta(weeks=2)]


def _state(w: Workshop) -> dict[str, tuple[object, ...]]:
    return {b.booking_id: (b.status, b.starts_at, b.ends_at, b.walk_in, b.queue_seq) for b in w.bookings}


@pytest.mark.parametrize("operation", [
    lambda w: w.cancel("b0", NOW),  # with a promotion from the waitlist
    lambda w: w.cancel("b3", NOW),  # a waitlisted person leaves
    lambda w: w.cancel_all(),
    lambda w: w.reschedule(NOW + timedelta(days=2), NOW + timedelta(days=2, hours=2), None, NOW),
    lambda w: w.check_in("b1"),
    lambda w: w.walk_in("b9", "r9", Citizen("c2"), override=True),  # a waitlisted person came anyway
    lambda w: w.walk_in("b9", "r9", Citizen("c9"), override=True),  # somebody new: a new booking, not a change
    lambda w: w.close(),
])
def test_the_rules_list_every_existing_booking_they_change(operation) -> None:  # type: ignore[no-untyped-def]
    # The repository writes back exactly these: a change missing here would be lost at commit.
    w = workshop(capacity=2)
    for n in range(4):
        book(w, n)
    before = _state(w)
    operation(w)
    after = _state(w)
    really_changed = {bid for bid, state in before.items() if after[bid] != state}
    assert {b.booking_id for b in w.changed} == really_changed
    # Seats and waitlist are counted incrementally: they must equal a count from scratch.
    assert w.seats_taken == sum(1 for b in w.bookings if b.status in (Status.confirmed, Status.attended))
    waiting = sorted((b for b in w.bookings if b.status == Status.waitlisted), key=lambda b: b.queue_seq)
    assert [b.booking_id for b in w.waitlist] == [b.booking_id for b in waiting]


def test_a_cancelled_slot_is_listed_as_changed() -> None:
    r = Resource("poste-1", "hub", "workstation", "Poste 1")
    start = NOW + timedelta(hours=3)
    r.book_slot("s1", "r1", Citizen("c1"), start, start + timedelta(hours=1), now=NOW, rules=RULES, active_bookings=0)
    r.cancel("s1", NOW)
    assert [b.booking_id for b in r.changed] == ["s1"]


def test_already_booked_is_found_after_a_cancellation_and_a_new_booking() -> None:
    w = workshop(capacity=3)
    book(w, 1)
    w.cancel("b1", NOW)
    assert w.holder("c1") is None
    w.request_seat("b2", "r2", Citizen("c1"), now=NOW, rules=RULES, active_bookings=0)
    assert w.holder("c1") is w.bookings[-1]
    with pytest.raises(Refusal) as twice:
        book(w, 1)
    assert twice.value.reason == "duplicate"
