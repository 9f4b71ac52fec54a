"""Order independence: the read models do not depend on how origins interleave, nor on duplicates."""

import random
from dataclasses import asdict
from typing import Any

from services.reporting.catalogue import territory
from services.reporting.indicators import compute
from services.reporting.model import Period
from shared.contract.attendance import CheckedIn, NoShow
from shared.contract.envelope import Event
from tests.support.reporting import URBAN, facts_from, interleave, project, scripted_month

SEEDS = range(25)


def _figures(events: list[Event]) -> dict[str, Any]:
    return asdict(compute(facts_from(project(events)), Period.month(2026, 11), territory(URBAN)))


def test_any_interleaving_of_the_sites_gives_the_same_read_models() -> None:
    script = scripted_month()
    reference = project(script.events)
    for seed in SEEDS:
        mixed = interleave(script.by_origin(), random.Random(seed))
        assert project(mixed) == reference, f"seed {seed}"


def test_even_a_fully_shuffled_log_gives_the_same_read_models() -> None:
    """Stronger than the network can produce (an origin's own order is kept by its stream): facts
    arriving before the facts they follow (a cancellation before its booking) still merge the same."""
    script = scripted_month()
    reference = project(script.events)
    for seed in SEEDS:
        shuffled = list(script.events)
        random.Random(seed).shuffle(shuffled)
        assert project(shuffled) == reference, f"seed {seed}"


def test_replaying_everything_twice_changes_nothing() -> None:
    events = scripted_month().events
    assert project(events + events) == project(events)
    assert _figures(events + list(reversed(events))) == _figures(events)


def test_no_show_then_check_in_for_one_booking_counts_one_visit() -> None:
    """Cannot come from one owner, but a replay from two streams must not double count either way."""
    script = scripted_month()
    no_show = next(e for e in script.events if isinstance(e, NoShow) and e.booking_id == "b03")
    came = no_show.model_copy(update={"type": "attendance.checked_in"})
    check_in = CheckedIn(**{**came.model_dump(), "walk_in": False, "event_id": "evt-late", "hlc": "0"})
    both_orders = [
        _figures([*script.events, check_in]),
        _figures([check_in, *script.events]),
    ]
    assert both_orders[0] == both_orders[1]
    assert both_orders[0]["no_shows"] == 2 and both_orders[0]["booked_attended"] == 7
