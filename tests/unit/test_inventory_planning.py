"""Reservations, transfers, audits and conflicts in plain Python (no database, no network)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from services.inventory.findings import Conflict, Finding, audit
from services.inventory.model import Asset, Refusal, Rules, S
from services.inventory.planning import Reservation, hold, overlaps, pick_by_kind, release, reserve_tags
from services.inventory.transfers import dispatch

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
RULES = Rules(known_sites=frozenset({"hub", "trebes"}))
START, END = NOW + timedelta(days=7), NOW + timedelta(days=7, hours=3)


def asset(tag: str, status: S = S.available, site: str = "hub", kind: str = "tablet") -> Asset:
    return Asset(tag, kind, "Tab", "", date(2026, 1, 5), 20000, "fabriques-de-territoires", "good", site, status)


class Due:
    def __init__(self, due_at: datetime) -> None:
        self.due_at = due_at


def test_windows_overlap_but_back_to_back_does_not() -> None:
    assert overlaps(START, END, END - timedelta(minutes=1), END + timedelta(hours=1))
    assert not overlaps(START, END, END, END + timedelta(hours=1))


def test_specific_tags_never_overlap_another_reservation() -> None:
    taken = Reservation("RES-1", "R", "hub", START, END, ["TAB-1"])
    assert reserve_tags([asset("TAB-2")], START, END, {"TAB-1": [taken]}, {}) == ["TAB-2"]
    with pytest.raises(Refusal) as no:
        reserve_tags([asset("TAB-1")], START + timedelta(hours=1), END + timedelta(hours=1), {"TAB-1": [taken]}, {})
    assert no.value.reason == "overlap"
    taken.cancel()
    assert reserve_tags([asset("TAB-1")], START, END, {"TAB-1": [taken]}, {}) == ["TAB-1"]


def test_by_kind_picks_the_shelf_first_and_skips_what_is_busy() -> None:
    fleet = [
        asset("TAB-1"), asset("TAB-2", S.on_loan), asset("TAB-3", S.on_loan), asset("TAB-4", S.in_maintenance),
        asset("TAB-5"), asset("PC-1", kind="laptop"),
    ]
    taken = Reservation("RES-1", "R", "hub", START, END, ["TAB-5"])
    loans = {"TAB-2": Due(START - timedelta(days=1)), "TAB-3": Due(END)}  # TAB-2 back in time, TAB-3 not
    promised = {"TAB-5": [taken]}
    assert pick_by_kind(fleet, "tablet", 2, START, END, promised, loans) == ["TAB-1", "TAB-2"]
    with pytest.raises(Refusal) as no:
        pick_by_kind(fleet, "tablet", 3, START, END, promised, loans)
    assert no.value.reason == "not_enough_assets"


def test_hold_sets_aside_what_is_on_the_shelf_and_release_respects_the_next_window() -> None:
    shelf = {"TAB-1": asset("TAB-1"), "TAB-2": asset("TAB-2", S.on_loan)}
    r = Reservation("RES-1", "R", "hub", START, END, ["TAB-1", "TAB-2"])
    assert hold(r, shelf) == (["TAB-1"], ["TAB-2"])
    assert shelf["TAB-1"].status == S.reserved and r.state == "held"
    assert release(r, shelf, still_needed={"TAB-1"}) == []
    assert release(r, shelf, still_needed=set()) == ["TAB-1"]
    assert shelf["TAB-1"].status == S.available


def test_a_box_is_received_item_by_item_and_the_missing_one_alerts_once() -> None:
    box = [asset(f"TAB-{n}") for n in range(3)]
    transfer = dispatch("T1", "R", box, "trebes", NOW, RULES)
    assert {a.status for a in box} == {S.in_transit} and {a.site for a in box} == {"hub"}
    shelf = {a.asset_tag: a for a in box}
    for bad_site, tags, reason in [("hub", ["TAB-0"], "wrong_destination"), ("trebes", ["TAB-9"], "not_in_transfer")]:
        with pytest.raises(Refusal) as no:
            transfer.receive(bad_site, tags, shelf, NOW)
        assert no.value.reason == reason
    assert transfer.receive("trebes", ["TAB-0", "TAB-1"], shelf, NOW) == ["TAB-0", "TAB-1"]
    assert (shelf["TAB-0"].site, shelf["TAB-0"].status, shelf["TAB-2"].status) == ("trebes", S.available, S.in_transit)
    with pytest.raises(Refusal) as no:
        transfer.receive("trebes", ["TAB-1"], shelf, NOW)
    assert no.value.reason == "not_in_transit"
    assert transfer.not_received(NOW + timedelta(days=2), RULES) == []
    assert transfer.not_received(NOW + RULES.transfer_alert, RULES) == ["TAB-2"]
    assert transfer.not_received(NOW + timedelta(days=30), RULES) == []


@pytest.mark.parametrize(("box", "to", "reason"), [
    ([asset("TAB-1")], "paris", "unknown_site"),
    ([asset("TAB-1")], "hub", "same_site"),
    ([asset("TAB-1"), asset("TAB-2", S.on_loan)], "trebes", "not_available"),
])
def test_dispatch_refusals_change_nothing(box: list[Asset], to: str, reason: str) -> None:
    before = [a.status for a in box]
    with pytest.raises(Refusal) as no:
        dispatch("T1", "R", box, to, NOW, RULES)
    assert no.value.reason == reason and [a.status for a in box] == before


def test_audit_finds_missing_unexpected_and_wrong_site() -> None:
    records = {
        "TAB-1": asset("TAB-1"), "TAB-2": asset("TAB-2"), "TAB-3": asset("TAB-3", S.on_loan),
        "TAB-4": asset("TAB-4", site="trebes"), "TAB-5": asset("TAB-5", S.in_use_on_site),
    }
    result = audit("hub", ["TAB-1", "TAB-3", "TAB-4", "TAB-X", "TAB-1"], records)
    assert result.expected == 3
    assert result.missing == ["TAB-2", "TAB-5"]
    assert result.unexpected == [Finding("TAB-3", "hub", S.on_loan), Finding("TAB-X")]
    assert result.wrong_site == [Finding("TAB-4", "trebes", S.available)]


def test_a_conflict_is_resolved_once() -> None:
    c = Conflict("C1", "R1", "TAB-1", "inventory.loan_checkout_requested", "hub", "trebes", "available", NOW)
    assert "trebes" in c.detail and "Rien n'a été appliqué" in c.detail
    c.resolve("Transfert oublié, régularisé", NOW)
    with pytest.raises(Refusal) as no:
        c.resolve("encore", NOW)
    assert no.value.reason == "already_resolved"
