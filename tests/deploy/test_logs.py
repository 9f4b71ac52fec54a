"""Structured logs: JSON lines with the ids of the event at hand, and no personal data."""

import json
import logging
from collections.abc import Iterator

import pytest

from shared.contract import booking as bk
from shared.logs import bind, bind_event, configure_logging, redact


@pytest.fixture
def root_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def lines(err: str) -> list[dict[str, str]]:
    return [json.loads(line) for line in err.splitlines() if line.strip()]


def test_json_lines_carry_the_event_ids_never_the_payload(
    root_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", "json")
    event = bk.BookingRequested(
        request_id="req-1", workshop_id="w-1", correlation_id="corr-1",
        citizen={"citizen_id": "cit-000001", "age_bracket": "soixante_dix_plus", "commune_insee": "11069"},
    )
    log = logging.getLogger("services.booking")
    with bind(service="booking", site="trebes"), bind_event(event):
        log.warning("refusé pour jean.dupont@example.org, rappeler au 06 12 34 56 78", extra={"nom": "Dupont"})
    log.info("hors de tout événement")
    first, second = lines(capsys.readouterr().err)
    assert first["level"] == "warning" and first["logger"] == "services.booking"
    assert (first["event_id"], first["event_type"], first["request_id"]) == (
        event.event_id, "booking.requested", "req-1"
    )
    assert (first["correlation_id"], first["service"], first["site"]) == ("corr-1", "booking", "trebes")
    assert first["message"] == "refusé pour [masqué], rappeler au [masqué]"
    text = json.dumps(first)
    assert "Dupont" not in text and "cit-000001" not in text and "11069" not in text
    assert "event_id" not in second and second["message"] == "hors de tout événement"


def test_exceptions_are_one_json_line_and_masked(root_logging: None, capsys: pytest.CaptureFixture[str]) -> None:
    configure_logging("DEBUG", "json")
    try:
        raise ValueError("adresse invalide : marie@example.fr")
    except ValueError:
        logging.getLogger("x").exception("échec")
    (line,) = lines(capsys.readouterr().err)
    assert "ValueError" in line["error"] and "marie@example.fr" not in line["error"]


def test_text_format_is_masked_too_and_names_the_event(
    root_logging: None, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging("INFO", "text")
    with bind(event_id="e-1", correlation_id="c-1"):
        logging.getLogger("x").info("SMS au +33 6 12 34 56 78 refusé")
    err = capsys.readouterr().err
    assert "[masqué]" in err and "6 12 34" not in err and "[event e-1 corr c-1]" in err


def test_ids_and_dates_are_not_mistaken_for_phone_numbers() -> None:
    text = "event 01a22080-b506-75ae-9d5d-fba5fb9d0841 seq 0612345678901 le 2026-12-01 à 09:00, 12 places"
    assert redact(text) == text


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="json"):
        configure_logging("INFO", "xml")
