"""The event contract: envelope, subjects, strict decoding with reasons."""

import json

import pytest

from shared.contract import InvalidEvent, decode, validate_request
from shared.contract import booking as bk
from shared.hlc import HybridClock
from shared.ids import uuid7
from shared.relay import with_origin_seq


def request(**extra: object) -> bk.BookingRequested:
    return bk.BookingRequested(workshop_id="w1", citizen={"citizen_id": "abcdef"}, origin="hub", **extra)


def test_request_id_defaults_to_event_id_and_subject_follows_the_contract() -> None:
    r = request()
    assert r.request_id == r.event_id and r.subject() == "tl.hub.booking.requested"


def test_round_trip() -> None:
    r = request()
    assert decode(r.subject(), r.model_dump_json().encode()) == r


@pytest.mark.parametrize(
    ("subject", "body", "reason"),
    [
        ("tl.hub.booking.requested", b"{nope", "malformed_json"),
        ("tl.hub.booking.unheard_of", b"{}", "unknown_type"),
        ("tl.hub.booking", b"{}", "bad_subject"),
        ("tl.hub.booking.requested", b'{"workshop_id": "w"}', "invalid_event"),
    ],
)
def test_undecodable_messages_have_a_reason(subject: str, body: bytes, reason: str) -> None:
    with pytest.raises(InvalidEvent) as exc:
        decode(subject, body)
    assert exc.value.reason == reason


def test_unknown_major_version_is_refused_not_guessed() -> None:
    body = json.loads(request().model_dump_json())
    body["schema_version"] = "2.0"
    with pytest.raises(InvalidEvent) as exc:
        decode("tl.hub.booking.requested", json.dumps(body).encode())
    assert exc.value.reason == "unsupported_schema_version"
    body["schema_version"] = "1.7"  # a newer minor with an extra optional field still parses
    body["future_field"] = True
    assert decode("tl.hub.booking.requested", json.dumps(body).encode()).schema_version == "1.7"


def test_a_site_cannot_speak_for_another() -> None:
    r = request()
    with pytest.raises(InvalidEvent) as exc:
        decode("tl.trebes.booking.requested", r.model_dump_json().encode())
    assert exc.value.reason == "origin_mismatch"


def test_personal_data_is_minimal() -> None:
    with pytest.raises(InvalidEvent):  # no birth dates, no names: unknown fields are not kept either
        validate_request("booking.requested", {"workshop_id": "w", "citizen": {"citizen_id": "x"}})
    r = validate_request("booking.requested", {"workshop_id": "w", "citizen": {
        "citizen_id": "abcdef", "name": "Jeanne Martin", "birth_date": "1950-01-01"}})
    assert "Jeanne" not in r.model_dump_json() and "1950" not in r.model_dump_json()


def test_time_spans_must_end_after_they_start() -> None:
    with pytest.raises(InvalidEvent):
        validate_request("booking.slot_requested", {
            "resource_id": "p1", "citizen": {"citizen_id": "abcdef"},
            "starts_at": "2026-12-01T10:00:00Z", "ends_at": "2026-12-01T09:00:00Z"})


def test_uuid7_is_time_ordered_and_versioned() -> None:
    ids = [uuid7() for _ in range(100)]
    assert all(i[14] == "7" for i in ids)
    assert [i[:13] for i in ids] == sorted(i[:13] for i in ids)


def test_hybrid_clock_never_goes_back_and_follows_remote_clocks() -> None:
    wall = [1000]
    clock = HybridClock(lambda: wall[0])
    first = clock.now()
    wall[0] = 900  # the local clock jumps back
    assert clock.now() > first
    clock.observe("0000000005000-000003")  # a site an hour ahead
    assert clock.now() > "0000000005000-000003"


def test_relay_writes_origin_seq_into_the_stored_body() -> None:
    body = request().model_dump_json(exclude={"origin_seq"}).encode()
    assert json.loads(with_origin_seq(42, body))["origin_seq"] == 42
