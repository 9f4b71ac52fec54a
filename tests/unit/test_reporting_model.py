"""Merge rules and periods: commutative, idempotent, calendar-exact."""

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from itertools import permutations
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from services.reporting import equipment, model
from services.reporting.equipment import Asset, Loan
from services.reporting.model import (
    ATTENDED,
    NO_SHOW,
    Attendance,
    BookingFact,
    Period,
    Person,
    Workshop,
    local_day,
    version_of,
)


def _fold(merge: Callable[[Any, Any], Any], facts: Iterable[Any]) -> Any:
    state = None
    for fact in facts:
        state = merge(state, fact)
    return state


def _all_orders_agree(merge: Callable[[Any, Any], Any], facts: list[Any]) -> Any:
    results = {repr(_fold(merge, order)) for order in permutations(facts)}
    assert len(results) == 1, results
    assert repr(_fold(merge, [*facts, *facts])) in results  # idempotent
    return _fold(merge, facts)


def test_version_orders_by_hlc_then_id_and_an_unstamped_event_sorts_first() -> None:
    assert version_of("", "zzz") < version_of("0001790000000-000000", "aaa")
    assert version_of("0001790000000-000001", "a") > version_of("0001790000000-000000", "b")


def test_attended_beats_no_show_in_any_order() -> None:
    who = Person("cit-x")
    facts = [Attendance("b", "w", "hub", who, NO_SHOW, False, "2026-11-03", version_of("2", "e2")),
             Attendance("b", "w", "hub", who, ATTENDED, False, "2026-11-03", version_of("1", "e1"))]
    assert _all_orders_agree(model.merge_attendance, facts).status == ATTENDED


def test_booking_flags_accumulate_whatever_arrives_first() -> None:
    facts = [
        BookingFact("b", "hub", "cit-x", "w", None, "2026-11-03", version_of("1", "e1"), waitlisted=True),
        BookingFact("b", "hub", "cit-x", "w", None, "2026-11-03", version_of("2", "e2"), promoted=True),
        BookingFact("b", "hub", "cit-x", "w", cancel_reason="cancelled_by_citizen",
                    cancel_version=version_of("3", "e3")),
    ]
    merged = _all_orders_agree(model.merge_booking, facts)
    assert merged == BookingFact("b", "hub", "cit-x", "w", None, "2026-11-03", version_of("2", "e2"),
                                 waitlisted=True, promoted=True, cancel_reason="cancelled_by_citizen",
                                 cancel_version=version_of("3", "e3"))


def test_a_rescheduled_or_cancelled_workshop_keeps_its_description() -> None:
    facts = [
        Workshop("w", "hub", "Atelier", ("email",), "debutant", 8, "2026-11-17", version_of("1", "e1")),
        Workshop("w", "hub", day="2026-11-18", times_version=version_of("2", "e2")),
        Workshop("w", "hub", cancelled=True),
    ]
    merged = _all_orders_agree(model.merge_workshop, facts)
    assert merged == Workshop("w", "hub", "Atelier", ("email",), "debutant", 8, "2026-11-18",
                              version_of("2", "e2"), cancelled=True)


def test_loan_and_asset_merge_field_groups_by_their_own_version() -> None:
    loan = _all_orders_agree(equipment.merge_loan, [
        Loan("L", "tab", "tablet", "trebes", "take_home", "cit-x", "2026-11-10", "2026-11-24", version_of("1", "a")),
        Loan("L", "tab", site="trebes", due_day="2026-12-08", due_version=version_of("2", "b")),
        Loan("L", "tab", site="trebes", mode="take_home", citizen_id="cit-x", returned_day="2026-12-01",
             returned_version=version_of("3", "c")),
    ])
    assert loan == Loan("L", "tab", "tablet", "trebes", "take_home", "cit-x", "2026-11-10", "2026-12-08",
                        version_of("2", "b"), "2026-12-01", version_of("3", "c"))
    asset = _all_orders_agree(equipment.merge_asset, [
        Asset("tab", "tablet", "fabriques-de-territoires", version_of("1", "a"), "hub", version_of("1", "a"),
              "available", version_of("1", "a")),
        Asset("tab", site="trebes", site_version=version_of("3", "c"), status="available",
              status_version=version_of("3", "c")),
        Asset("tab", status="in_transit", status_version=version_of("2", "b")),
    ])
    assert isinstance(asset, Asset) and (asset.site, asset.status, asset.in_service) == ("trebes", "available", True)
    assert not Asset("tab", status="on_loan").in_service  # never registered: not counted


def test_days_are_counted_where_the_network_is() -> None:
    paris = ZoneInfo("Europe/Paris")
    assert local_day(datetime(2026, 11, 30, 23, 30, tzinfo=UTC), paris) == "2026-12-01"
    assert local_day(datetime(2026, 7, 31, 21, 59, tzinfo=UTC), paris) == "2026-07-31"


def test_periods() -> None:
    assert Period.month(2026, 12) == Period(date(2026, 12, 1), date(2026, 12, 31))
    assert Period.month(2028, 2).end == date(2028, 2, 29)
    assert Period.quarter(2026, 4) == Period(date(2026, 10, 1), date(2026, 12, 31))
    assert Period.week_of(date(2026, 11, 19)) == Period(date(2026, 11, 16), date(2026, 11, 22))
    odd = Period(date(2026, 2, 15), date(2026, 7, 10))
    assert [p.first for p in odd.split("month")] == ["2026-02-15", "2026-03-01", "2026-04-01", "2026-05-01",
                                                     "2026-06-01", "2026-07-01"]
    assert odd.split("quarter") == [Period(date(2026, 2, 15), date(2026, 3, 31)),
                                    Period(date(2026, 4, 1), date(2026, 6, 30)),
                                    Period(date(2026, 7, 1), date(2026, 7, 10))]
    assert Period(date(2025, 12, 1), date(2026, 1, 31)).split("year")[1].start == date(2026, 1, 1)
    with pytest.raises(ValueError):
        Period(date(2026, 2, 1), date(2026, 1, 1))
