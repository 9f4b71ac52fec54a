"""Inventory rules in plain Python: assets, loans and reminders (no database, no network)."""

from datetime import UTC, date, datetime, timedelta

import pytest

from services.inventory.lending import DUE_SOON, LONG_OVERDUE, OVERDUE, Checkout, Loan, check_out
from services.inventory.model import Asset, Citizen, Refusal, Rules, S, from_cents, require_amount, to_cents
from services.inventory.ownership import Ownership, Route, Verdict
from services.inventory.planning import Reservation
from shared.contract.inventory import LoanMode

NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
RULES = Rules(known_sites=frozenset({"hub", "trebes"}), loan_days={"tablet": 21, "laptop": 28})


def asset(tag: str = "TAB-1", kind: str = "tablet", status: S = S.available, site: str = "hub") -> Asset:
    return Asset(tag, kind, "Galaxy Tab", "SN1", date(2026, 1, 5), 29900, "fabriques-de-territoires", "new", site,
                 status)


def wish(mode: LoanMode = LoanMode.take_home, **kw: object) -> Checkout:
    values: dict[str, object] = {
        "loan_id": "L1", "request_id": "R1", "mode": mode, "citizen": Citizen("cit-000001"), "due_date": None,
        "agreement_signed": True, "deposit_cents": None, "reservation_id": None,
    }
    values.update(kw)
    return Checkout(**values)  # type: ignore[arg-type]


def refusal(call: object, *args: object, **kw: object) -> str:
    with pytest.raises(Refusal) as caught:
        call(*args, **kw)  # type: ignore[operator]
    return caught.value.reason


def test_amounts_are_cents_and_never_negative() -> None:
    assert to_cents(from_cents(29999)) == 29999
    assert require_amount(from_cents(1050), "negative_price", "Le prix") == 1050
    assert refusal(require_amount, from_cents(-1), "negative_price", "Le prix") == "negative_price"


def test_statuses_move_only_along_the_allowed_paths() -> None:
    a = asset()
    a.lend(on_site=False, for_its_reservation=False)
    assert a.status == S.on_loan
    assert refusal(a.dispatch) == "not_available"
    assert refusal(a.send_to_repair) == "not_available"
    assert refusal(a.retire, False) == "not_available"  # lent: bring it back or declare it lost
    a.give_back("worn")
    assert (a.status, a.condition) == (S.available, "worn")
    assert refusal(a.give_back, "good") == "not_on_loan"
    assert refusal(a.back_from_repair, "good") == "not_in_maintenance"
    a.status = S.reserved
    assert refusal(a.lend, True, False) == "reserved"
    a.lend(on_site=True, for_its_reservation=True)
    assert a.status == S.in_use_on_site


def test_lost_then_retired_but_never_twice() -> None:
    a = asset(status=S.on_loan)
    assert a.retire(lost=True) == S.on_loan and a.status == S.lost
    assert refusal(a.retire, True) == "already_retired"
    assert a.retire(lost=False) == S.lost and a.status == S.retired
    assert refusal(a.retire, False) == "already_retired"


def test_edit_reports_only_what_changed() -> None:
    a = asset()
    assert a.edit({"serial": "SN1", "model": "Galaxy Tab A9", "purchase_price": 31000}) == ["model", "purchase_price"]
    assert a.price_cents == 31000


def test_take_home_loan_defaults_per_kind_and_is_due_at_local_midnight() -> None:
    loan = check_out(asset(), wish(), [], NOW, RULES)
    assert loan.due_date == date(2026, 12, 22)
    # Paris is UTC+1 in winter: overdue from 23:00 UTC on the due date.
    assert loan.due_at == datetime(2026, 12, 22, 23, 0, tzinfo=UTC)
    laptop = check_out(asset("PC-1", "laptop"), wish(), [], NOW, RULES)
    assert laptop.due_date == date(2026, 12, 29)


def test_on_site_use_is_due_the_same_day_and_needs_no_citizen() -> None:
    loan = check_out(asset(), wish(LoanMode.on_site, citizen=None, agreement_signed=False), [], NOW, RULES)
    assert loan.due_date == date(2026, 12, 1)
    assert refusal(loan.renew, None, [], NOW, RULES) == "not_renewable"


@pytest.mark.parametrize(("change", "reason"), [
    ({"citizen": None}, "citizen_required"),
    ({"agreement_signed": False}, "agreement_missing"),
    ({"due_date": date(2026, 11, 30)}, "invalid_due_date"),
])
def test_take_home_loan_refusals(change: dict[str, object], reason: str) -> None:
    a = asset()
    assert refusal(check_out, a, wish(**change), [], NOW, RULES) == reason
    assert a.status == S.available


def test_a_reservation_blocks_a_loan_that_would_overlap_it_but_not_its_own_use() -> None:
    workshop = Reservation("RES-1", "R", "hub", NOW + timedelta(days=3), NOW + timedelta(days=3, hours=2), ["TAB-1"])
    assert refusal(check_out, asset(), wish(), [workshop], NOW, RULES) == "reserved"
    short = check_out(asset(), wish(due_date=date(2026, 12, 2)), [workshop], NOW, RULES)
    assert short.due_date == date(2026, 12, 2)
    during = NOW + timedelta(days=3, minutes=10)
    held = asset(status=S.reserved)
    own = wish(LoanMode.on_site, reservation_id="RES-1")
    assert check_out(held, own, [workshop], during, RULES).mode == LoanMode.on_site


def test_reminders_escalate_once_each_and_a_renewal_starts_again() -> None:
    loan = check_out(asset(), wish(), [], NOW, RULES)
    assert loan.next_reminder(NOW, RULES) is None
    soon = loan.due_at - timedelta(days=1)
    assert loan.next_reminder(soon, RULES) == DUE_SOON
    assert loan.next_reminder(soon, RULES) is None
    assert loan.next_reminder(loan.due_at, RULES) == OVERDUE
    assert loan.next_reminder(loan.due_at + timedelta(days=1), RULES) is None
    previous = loan.renew(None, [], loan.due_at, RULES)
    assert (previous, loan.due_date, loan.renewals, loan.reminder_level) == (
        date(2026, 12, 22), date(2027, 1, 12), 1, 0,
    )
    late = loan.due_at + RULES.long_overdue
    assert loan.next_reminder(late, RULES) == LONG_OVERDUE  # skipped levels are not sent late
    assert loan.next_reminder(late + timedelta(days=30), RULES) is None


def test_renewals_are_limited_and_move_forward_only() -> None:
    loan = check_out(asset(), wish(), [], NOW, RULES)
    assert refusal(loan.renew, date(2026, 12, 20), [], NOW, RULES) == "invalid_due_date"
    loan.renew(None, [], NOW, RULES)
    loan.renew(None, [], NOW, RULES)
    assert refusal(loan.renew, None, [], NOW, RULES) == "renewal_limit"


def test_days_late_on_return() -> None:
    loan = check_out(asset(), wish(), [], NOW, RULES)
    # Due on the 22nd, back on the 26th at 01:00 local time: four days late.
    assert loan.close(loan.due_at + timedelta(days=3, hours=1), "good", RULES) == 4
    on_time = Loan("L2", "R2", "TAB-2", "tablet", "hub", LoanMode.take_home, None, NOW, date(2026, 12, 5),
                   RULES.end_of(date(2026, 12, 5)), True)
    assert on_time.close(NOW, "good", RULES) == 0


def test_unknown_site_is_refused() -> None:
    RULES.require_site("trebes")
    assert refusal(RULES.require_site, "paris") == "unknown_site"


def test_each_request_has_one_decider_across_nodes() -> None:
    hub, site = Ownership("hub", frozenset({"trebes"})), Ownership("trebes")
    lone = Ownership("hub")
    v = Verdict
    assert hub.route_assets("hub", {"A": "hub"}).verdict == v.decide
    assert hub.route_assets("hub", {"A": "trebes"}) == Route(v.pass_on, "trebes")
    assert hub.route_assets("hub", {"A": None}) == Route(v.pass_on, None)  # a site may know it
    assert hub.route_assets("hub", {"A": "alzonne"}).verdict == v.refuse  # no node of its own: nobody else will
    assert hub.route_assets("hub", {"A": "hub", "B": "trebes"}).verdict == v.refuse  # one decider per request
    assert lone.route_assets("hub", {"A": "trebes"}).verdict == v.refuse
    assert lone.route_assets("hub", {"A": None}).verdict == v.refuse
    assert site.route_assets("trebes", {"A": "hub"}).verdict == v.refuse  # nobody reads a site's requests
    assert site.route_assets("hub", {"A": "trebes"}).verdict == v.decide  # passed on with owner unknown
    assert site.route_assets("hub", {"A": "hub"}).verdict == v.ignore
    assert (hub.registrar("trebes"), hub.registrar("alzonne"), site.registrar("conques")) == (
        "trebes", "hub", "conques")
    assert (hub.receiver("hub", "trebes"), hub.receiver("hub", "alzonne"), lone.receiver("hub", "trebes")) == (
        "trebes", "hub", "hub")
