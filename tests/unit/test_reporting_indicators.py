"""The scripted month (tests/support/reporting.py) gives the figures worked out by hand.

Hand count for November 2026 (network):
- seats checked in: W1 c01 c04 c05(walk-in) · W2 c06 · W4 c09 c10 c11(waitlisted, came: walk-in) ·
  W5 c02 c04(walk-in) = 9, of which 3 walk-ins; no-shows: c03 (W1), c01 (W2), c12 (W5) = 3;
- individual accompaniments in November: A1 c07, A2 c01, A3 c09, A4 c03 = 4 (A0 is October, A5 December);
- people: c01 c02 c03 c04 c05 c06 c07 c09 c10 c11 = 10 — never c08 (workshop cancelled) nor c12 (no-show only);
  c01 came in October, so 1 returning and 9 first-time;
- booked seats of sessions held: 6 came + 3 no-shows = 9 → attendance 6/9, no-shows 3/9;
- minutes: sessions 4 × 120 + individual 60+30+45+90 = 705; person-minutes 225 + 120 × (3+1+3+2) = 1305.
"""

from datetime import date

import pytest

from services.reporting import indicators
from services.reporting.catalogue import territory
from services.reporting.indicators import Indicators, compute
from services.reporting.model import Period
from tests.support.reporting import URBAN, facts_from, project, scripted_month

NOVEMBER = Period.month(2026, 11)
TERRITORY = territory(URBAN)


@pytest.fixture(scope="module")
def facts() -> indicators.Facts:
    return facts_from(project(scripted_month().events))


def test_network_november_matches_the_hand_count(facts: indicators.Facts) -> None:
    f = compute(facts, NOVEMBER, TERRITORY)
    assert (f.workshop_attendances, f.walk_ins, f.booked_attended, f.no_shows, f.booked_seats) == (9, 3, 6, 3, 9)
    assert (f.accompaniments, f.visits, f.sessions_held) == (4, 13, 4)
    assert (f.people, f.people_first_time, f.people_returning) == (10, 9, 1)
    assert f.attendance_rate == pytest.approx(6 / 9) and f.no_show_rate == pytest.approx(3 / 9)
    assert (f.accompaniment_minutes, f.person_minutes) == (705, 1305)
    assert (f.bookings_made, f.cancellations, f.released_by_cancelled_workshops) == (13, 1, 1)
    assert (f.waitlist_entries, f.waitlist_promoted, f.waitlist_unseated, f.seats_offered) == (2, 1, 0, 14)
    assert f.waitlist_pressure == pytest.approx(2 / 14)


def test_publics_communes_and_areas(facts: indicators.Facts) -> None:
    f = compute(facts, NOVEMBER, TERRITORY)
    assert (f.young, f.seniors) == (3, 4)
    assert f.age_brackets == {
        "soixante_dix_plus": 2, "soixante_soixante_neuf": 2, "douze_dix_huit": 1, "dix_huit_vingt_quatre": 1,
        "moins_de_douze": 1, "vingt_cinq_trente_neuf": 1, "quarante_cinquante_neuf": 1, "non_communique": 1,
    }
    assert f.communes == {"11069": 3, "11397": 3, "11099": 1, "11429": 1, "31555": 1, "": 1}
    assert f.areas == {"urbain": 6, "rural": 2, "hors_territoire": 1, "non_communique": 1}
    assert indicators.per_100(f.communes["11069"], TERRITORY.communes["11069"].population) == pytest.approx(
        300 / 46429
    )
    assert f.themes == {"navigation_sur_internet": 1, "email": 2, "prendre_en_main_du_materiel": 1,
                        "aide_aux_demarches_administratives": 2, "securite_numerique": 1, "sante": 1}
    assert f.equipment_used == {"ordinateur": 1, "telephone": 1}


def test_default_urban_classification_is_a_population_threshold(facts: indicators.Facts) -> None:
    f = compute(facts, NOVEMBER, territory())  # ≥ 2,000 inhabitants: Conques and Villemoustaussou are urban
    assert f.areas == {"urbain": 8, "hors_territoire": 1, "non_communique": 1}


def test_equipment_loans_and_grant_funded_assets(facts: indicators.Facts) -> None:
    f = compute(facts, NOVEMBER, TERRITORY)
    # L1 10→20 Nov (11 days), L2 on site 10 Nov (1), L3 from 20 Nov, still out on the 30th (11)
    assert (f.loans_started, f.loans_take_home, f.borrowers, f.loan_days) == (3, 2, 2, 23)
    assert (f.assets_in_service, f.grant_assets_in_service) == (3, 2)  # tab-02 was lost
    assert f.utilisation == pytest.approx(23 / (3 * 30))
    assert f.notices_sent == 2
    mid_month = compute(facts, NOVEMBER, TERRITORY, options=indicators.Options(as_of=date(2026, 11, 15)))
    assert (mid_month.loan_days, mid_month.asset_days) == (6 + 1, 3 * 15)  # L3 starts on the 20th


def test_per_site_figures(facts: indicators.Facts) -> None:
    sites = indicators.by_site(facts, NOVEMBER, TERRITORY, ["hub", "trebes", "conques", "alzonne"])
    summary = {s: (f.people, f.visits, f.sessions_held, f.booked_seats, f.no_shows, f.walk_ins)
               for s, f in sites.items()}
    assert summary == {
        "hub": (5, 6, 2, 5, 2, 1), "trebes": (3, 4, 1, 2, 0, 1), "conques": (3, 3, 1, 2, 1, 1),
        "alzonne": (0, 0, 0, 0, 0, 0),
    }
    # c04 came to the hub and to Conques: once in the network, once per site
    assert sum(f.people for f in sites.values()) == 11
    assert sum(f.visits for f in sites.values()) == 13
    assert sites["alzonne"].attendance_rate is None


def test_cancelled_and_no_show_bookings_are_never_visits_walk_ins_are(facts: indicators.Facts) -> None:
    f = compute(facts, NOVEMBER, TERRITORY)
    seen = {a.person.citizen_id for a in facts.attendance if a.status == "attended"}
    seen |= {a.person.citizen_id for a in facts.accompaniments if NOVEMBER.contains(a.day)}
    assert "cit-c08" not in seen and "cit-c12" not in seen  # cancelled workshop, no-show only
    assert {"cit-c05", "cit-c11"} <= seen  # walk-ins, one of them came off the waitlist
    assert f.people == len(seen)


def test_month_quarter_and_year_slices(facts: indicators.Facts) -> None:
    year = Period.year(2026)
    months = indicators.series(facts, year, TERRITORY, "month")
    assert [m.visits for m in months] == [0] * 9 + [1, 13, 1]
    quarters = indicators.series(facts, year, TERRITORY, "quarter")
    assert [q.period for q in quarters] == [Period.quarter(2026, q) for q in (1, 2, 3, 4)]
    assert quarters[3].visits == 15 and quarters[3].people == 10
    whole: Indicators = indicators.series(facts, year, TERRITORY, "year")[0]
    assert (whole.visits, whole.people, whole.people_first_time) == (15, 10, 10)
    assert compute(facts, Period(date(2026, 12, 1), date(2026, 12, 31)), TERRITORY).people_returning == 1
