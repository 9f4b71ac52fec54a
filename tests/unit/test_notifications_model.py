"""The notification rules: which channel, when, and when not at all."""

from datetime import UTC, datetime, time, timedelta

import pytest

from services.notifications.model import (
    BookingView,
    Channel,
    Contact,
    Kind,
    MessageView,
    QuietHours,
    RetryPolicy,
    call_reason,
    cancellation_kind,
    cancellation_plan,
    delivery_key,
    invitation_plan,
    message_key,
    next_channel,
    reminder_plans,
    staff_contact,
    stale_reason,
)

ORDER = [Channel.sms, Channel.email, Channel.bot, Channel.phone_call]
NOW = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


def person(*consents: Channel, **extra: object) -> Contact:
    values: dict = {"email": "a@example.org", "phone": "06 00 00 00 01", **extra}
    return Contact("cit-000001", consents=dict.fromkeys(consents, True), **values)


def booking(starts_in: timedelta = timedelta(hours=25), status: str = "confirmed") -> BookingView:
    starts = NOW + starts_in
    return BookingView("b-1", "cit-000001", "hub", "w-1", starts, starts + timedelta(hours=2), status)


def test_preferred_channel_first_then_the_node_order_among_consented_ones() -> None:
    c = person(Channel.email, Channel.sms, Channel.phone_call, preferred=Channel.email)
    assert c.channel_order(ORDER) == [Channel.email, Channel.sms, Channel.phone_call]
    assert next_channel(c, {Channel.email}, ORDER) == Channel.sms
    assert next_channel(c, {Channel.email, Channel.sms, Channel.phone_call}, ORDER) is None


def test_a_channel_needs_consent_and_an_address_and_to_be_usable_on_this_node() -> None:
    assert person(Channel.email, email=None).channel_order(ORDER) == []
    assert person(Channel.sms, phone=None).channel_order(ORDER) == []
    assert person(Channel.bot).channel_order(ORDER) == [Channel.bot]
    # SMS not configured on this node: the preferred channel is skipped, not forced.
    assert person(Channel.sms, Channel.email, preferred=Channel.sms).channel_order([Channel.email]) == [Channel.email]
    withdrawn = person(Channel.sms)
    withdrawn.consents[Channel.sms] = False
    assert next_channel(withdrawn, set(), ORDER) is None


def test_the_call_list_is_the_last_resort_only_when_staff_asked_for_it() -> None:
    assert next_channel(person(), set(), ORDER) is None
    assert next_channel(person(call_if_unreachable=True), set(), ORDER) == Channel.phone_call
    assert next_channel(person(Channel.sms, call_if_unreachable=True), {Channel.sms}, ORDER) == Channel.phone_call
    assert next_channel(None, set(), ORDER) is None
    assert call_reason(person(call_if_unreachable=True), failed_before=False) == "no_channel"
    assert call_reason(person(Channel.phone_call), failed_before=False) == "consented"
    assert call_reason(person(Channel.sms), failed_before=True) == "fallback"


def test_staff_are_reached_by_email_when_known_else_by_the_staff_bot() -> None:
    assert staff_contact("staff:hub", "equipe@example.org").channel_order(ORDER) == [Channel.email, Channel.bot]
    assert staff_contact("staff:trebes", None).channel_order(ORDER) == [Channel.bot]


@pytest.mark.parametrize(
    ("local", "release"),
    [
        (datetime(2026, 12, 1, 20, 59), None),
        (datetime(2026, 12, 1, 21, 0), datetime(2026, 12, 2, 8, 0)),
        (datetime(2026, 12, 1, 23, 30), datetime(2026, 12, 2, 8, 0)),
        (datetime(2026, 12, 2, 7, 59), datetime(2026, 12, 2, 8, 0)),
        (datetime(2026, 12, 2, 8, 0), None),
        # The night the clocks go back (25 h day): still 8 h local time.
        (datetime(2026, 10, 24, 22, 0), datetime(2026, 10, 25, 8, 0)),
    ],
)
def test_quiet_hours_span_midnight_in_local_time(local: datetime, release: datetime | None) -> None:
    quiet = QuietHours()
    at = local.replace(tzinfo=quiet.zone).astimezone(UTC)
    expected = release.replace(tzinfo=quiet.zone).astimezone(UTC) if release else None
    assert quiet.release_at(Channel.sms, at) == expected
    assert quiet.release_at(Channel.email, at) is None  # e-mail waits in the inbox: no quiet hours


def test_quiet_hours_within_one_day_and_disabled() -> None:
    lunch = QuietHours(time(12, 0), time(14, 0))
    at = datetime(2026, 12, 1, 12, 30, tzinfo=lunch.zone).astimezone(UTC)
    assert lunch.release_at(Channel.sms, at) == datetime(2026, 12, 1, 14, 0, tzinfo=lunch.zone).astimezone(UTC)
    assert QuietHours(time(8, 0), time(8, 0)).release_at(Channel.sms, at) is None


def test_retry_back_off_doubles_up_to_a_cap() -> None:
    policy = RetryPolicy(max_attempts=4, base=timedelta(seconds=30), cap=timedelta(minutes=1))
    assert [policy.delay(n).total_seconds() for n in (1, 2, 3, 4)] == [30, 60, 60, 60]
    assert not policy.exhausted(3) and policy.exhausted(4)


def test_reminders_still_ahead_are_planned_keyed_by_start_time() -> None:
    plans = reminder_plans(booking(timedelta(hours=25)), NOW, [timedelta(hours=2), timedelta(hours=24)])
    assert [p.due_at - NOW for p in plans] == [timedelta(hours=1), timedelta(hours=23)]
    assert all(p.not_after == NOW + timedelta(hours=25) and p.kind == Kind.reminder for p in plans)
    assert plans[0].key != plans[1].key
    late = reminder_plans(booking(timedelta(hours=3)), NOW, [timedelta(hours=24), timedelta(hours=2)])
    assert [p.context["offset_hours"] for p in late] == [2]
    moved = booking(timedelta(hours=49))
    assert {p.key for p in reminder_plans(moved, NOW, [timedelta(hours=24)])}.isdisjoint(
        {p.key for p in plans}
    )


def test_calendar_sequence_grows_with_each_change_and_the_cancel_is_higher() -> None:
    b = booking()
    confirm = invitation_plan(Kind.booking_confirmed, b, NOW)
    moved = invitation_plan(Kind.workshop_rescheduled, b, NOW)
    cancel = cancellation_plan(Kind.booking_cancelled, b, NOW, by="citizen", was="confirmed")
    assert [confirm.context["ics_sequence"], moved.context["ics_sequence"], cancel.context["ics_sequence"]] == [1, 2, 3]
    assert (confirm.context["ics"], moved.context["ics"], cancel.context["ics"]) == ("REQUEST", "REQUEST", "CANCEL")
    assert confirm.subject_id == "b-1" and moved.subject_id == "b-1#2"
    waitlisted = booking(status="waitlisted")
    assert "ics" not in cancellation_plan(Kind.booking_cancelled, waitlisted, NOW, "citizen", "waitlisted").context


def test_cancellations_worth_a_message() -> None:
    assert cancellation_kind("workshop_cancelled") == Kind.workshop_cancelled
    assert cancellation_kind("cancelled_by_citizen") == Kind.booking_cancelled
    assert cancellation_kind("session_closed") is None


def test_a_reminder_is_never_sent_after_the_start_for_a_cancelled_or_moved_booking() -> None:
    b = booking()
    [plan] = reminder_plans(b, NOW, [timedelta(hours=24)])
    view = MessageView(str(plan.kind), "b-1", plan.not_after, plan.context)
    assert stale_reason(view, b, plan.due_at) is None
    assert stale_reason(view, b, b.starts_at) == "event_started"
    assert stale_reason(view, booking(status="cancelled"), plan.due_at) == "booking_not_confirmed"
    assert stale_reason(view, None, plan.due_at) == "booking_not_confirmed"
    assert stale_reason(view, booking(timedelta(hours=30)), plan.due_at) == "rescheduled"


def test_keys_are_stable_and_distinct_per_channel() -> None:
    key = message_key("reminder", "b-1@x/24h", "cit-000001")
    assert delivery_key(key, "sms") == delivery_key(key, "sms")
    assert delivery_key(key, "sms") != delivery_key(key, "email")
    assert len(delivery_key(key, "sms")) == 40
