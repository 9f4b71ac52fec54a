"""Privacy rules: inactivity, staleness after an erasure, activity, consent per purpose and channel."""

from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from services.notifications.model import STAFF_KINDS, Channel, Contact, Kind, next_channel
from services.notifications.purposes import DEFAULT_PURPOSES, PURPOSE_OF_KIND
from services.privacy.model import Person, citizen_of, inactive, is_stale, months_before, names_person
from services.privacy.settings import PrivacySettings
from shared.contract import booking as bk
from shared.contract import directory as dr

ORDER = [Channel.sms, Channel.email, Channel.bot, Channel.phone_call]


def test_months_before_keeps_the_instant_and_clamps_the_day() -> None:
    assert months_before(datetime(2026, 12, 1, 9, tzinfo=UTC), 12) == datetime(2025, 12, 1, 9, tzinfo=UTC)
    assert months_before(datetime(2026, 3, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert months_before(datetime(2025, 2, 28, tzinfo=UTC), 12) == datetime(2024, 2, 28, tzinfo=UTC)
    assert months_before(datetime(2026, 1, 15, tzinfo=UTC), 13) == datetime(2024, 12, 15, tzinfo=UTC)


def test_inactive_means_a_profile_here_and_nothing_since_the_cutoff() -> None:
    cutoff = datetime(2025, 12, 1, tzinfo=UTC)
    t = cutoff.timestamp()
    people = [
        Person("cit-silent", t - 100, t - 100),
        Person("cit-active", t - 100, t + 1),
        Person("cit-relist", t + 5, t - 100),  # registered again after the cutoff: that is activity
        Person("cit-noprof", None, t - 100),  # no directory row on this node: nothing to anonymise
        Person("cit-atedge", t - 100, t),  # exactly at the cutoff: still inside the period
    ]
    assert inactive(people, cutoff) == ["cit-silent"]


def test_stale_is_anything_made_before_the_erasure() -> None:
    assert is_stale(100.0, 100.0) and is_stale(99.0, 100.0)
    assert not is_stale(101.0, 100.0) and not is_stale(5.0, None)
    body = {"citizen_id": "cit-000001", "occurred_at": "2026-12-01T09:00:00Z"}
    moment = datetime(2026, 12, 1, 9, tzinfo=UTC).timestamp()
    assert names_person(body, "cit-000001", moment)
    assert not names_person(body, "cit-000001", moment - 1)
    assert not names_person(body, "cit-000002", moment)
    assert names_person({"citizen_id": "cit-000001"}, "cit-000001", 0.0), "no date: erased rather than kept"


def test_citizen_of_reads_refs_and_plain_ids() -> None:
    day = datetime(2026, 12, 1, tzinfo=UTC)
    confirmed = bk.BookingConfirmed(request_id="r", booking_id="b", site="hub", workshop_id="w", starts_at=day,
                                    ends_at=day, citizen={"citizen_id": "cit-000001"})
    assert citizen_of(confirmed) == "cit-000001"
    assert citizen_of(dr.ConsentChanged(citizen_id="cit-000002", channel="sms", granted=True,
                                        changed_at=datetime(2026, 12, 1, tzinfo=UTC))) == "cit-000002"


def person(*purposes: tuple[str, str, bool]) -> Contact:
    return Contact("cit-000001", email="a@example.org", phone="0600000000", call_if_unreachable=True,
                   consents={c: True for c in Channel}, purposes={(p, c): g for p, c, g in purposes})


def test_purpose_defaults_channel_specific_choices_and_newsletters_opt_in() -> None:
    anyone = person()
    assert anyone.allows(Kind.booking_confirmed, Channel.sms) and anyone.allows(Kind.reminder, Channel.email)
    assert DEFAULT_PURPOSES == {"booking_messages": True, "reminders": True, "newsletters": False}
    no_sms_reminders = person(("reminders", "sms", False))
    assert next_channel(no_sms_reminders, set(), ORDER, Kind.reminder) == Channel.email
    assert next_channel(no_sms_reminders, set(), ORDER, Kind.booking_confirmed) == Channel.sms
    no_reminders = person(("reminders", "*", False), ("reminders", "bot", True))
    assert no_reminders.channel_order(ORDER, Kind.reminder) == [Channel.bot], "a channel choice beats '*'"
    nothing = person(("reminders", "*", False))
    assert next_channel(nothing, set(), ORDER, Kind.reminder) is None, "not even the call list"
    assert next_channel(nothing, set(), ORDER, Kind.loan_overdue) == Channel.sms
    assert anyone.allows(Kind.conflict_detected, Channel.email), "staff messages have no purpose"
    assert set(PURPOSE_OF_KIND) == {str(k) for k in Kind if k not in STAFF_KINDS}, "every message has a purpose"


def test_streams_may_not_outlive_the_retention_period() -> None:
    assert PrivacySettings(stream_max_age_days=180).privacy_inactivity_months == 12
    with pytest.raises(ValidationError, match="stream_max_age_days"):
        PrivacySettings(stream_max_age_days=400)
    with pytest.raises(ValidationError, match="stream_max_age_days"):
        PrivacySettings(privacy_inactivity_months=3)
