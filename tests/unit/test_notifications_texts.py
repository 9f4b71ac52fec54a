"""What people read: French templates for every kind and channel, dates in words, short SMS."""

from datetime import UTC, date, datetime
from email.message import EmailMessage
from typing import Any

import icalendar
import pytest

from services.notifications import french
from services.notifications.channels import Attachment, Outgoing
from services.notifications.channels.email import build_email
from services.notifications.channels.sms import HttpSmsGateway, render_body
from services.notifications.ics import CalendarEvent, fold, to_ics
from services.notifications.model import PARIS, Channel, Kind
from services.notifications.render import Renderer
from services.notifications.settings import PLACES, NotificationSettings, place_of

STARTS = datetime(2026, 12, 3, 13, 30, tzinfo=UTC)  # 14 h 30 in Paris
ENDS = datetime(2026, 12, 3, 15, 30, tzinfo=UTC)


def variables(**extra: Any) -> dict[str, Any]:
    return {
        "name": None, "place": place_of("conques"), "calendar": True,
        "activity": {"title": "Mes démarches en ligne (impôts, CAF, ANTS)", "room": "Salle 2", "kind": "workshop"},
        "starts_at": STARTS, "ends_at": ENDS, "position": 1, "by": "staff", "was": "confirmed", "offset_hours": 2.0,
        "asset_kind": "tablet", "asset_tag": "TAB-007", "due_date": date(2026, 12, 1), "days_overdue": 1,
        "transfer_id": "T-12", "from_site": "hub", "to_site": "alzonne", "asset_tags": ["TAB-007"],
        "days_in_transit": 6, "conflict_id": "C-3", "action": "inventory.loan_checkout_requested",
        "node_site": "trebes", "holding_site": "hub", "detail": "Noté au pôle.", **extra,
    }


@pytest.mark.parametrize("kind", list(Kind))
@pytest.mark.parametrize("channel", list(Channel))
def test_every_kind_renders_in_plain_french_on_every_channel(kind: Kind, channel: Channel) -> None:
    out = Renderer(PARIS).render(kind, channel, variables())
    assert out.subject and out.text
    assert "None" not in out.text and "{{" not in out.text and "_" not in out.text.replace("TAB-007", "")
    if channel in (Channel.sms, Channel.bot):
        assert len(out.text) <= 160, out.text
        assert "\n" not in out.text


def test_dates_are_written_out_in_french_local_time() -> None:
    out = Renderer(PARIS).render(Kind.booking_confirmed, Channel.email, variables(name="M. Roux"))
    assert out.text.startswith("Bonjour M. Roux,")
    assert "le jeudi 3 décembre 2026, de 14 h 30 à 16 h 30" in out.text
    assert "Tiers-lieu de Conques-sur-Orbiel, Salle 2" in out.text
    assert "Adresse : " + PLACES["conques"].address in out.text
    sms = Renderer(PARIS).render(Kind.reminder, Channel.sms, variables())
    assert "le jeu. 3 déc. à 14 h 30" in sms.text
    assert french.day_fr(date(2026, 3, 1), PARIS) == "dimanche 1er mars 2026"
    assert french.hour_fr(datetime(2026, 7, 1, 7, 5, tzinfo=UTC), PARIS) == "9 h 05"  # summer time
    assert french.hours_fr(24) == "demain" and french.hours_fr(2) == "dans 2 heures"


def test_cancellation_by_the_person_or_by_staff_reads_differently() -> None:
    renderer = Renderer(PARIS)
    mine = renderer.render(Kind.booking_cancelled, Channel.email, variables(by="citizen"))
    theirs = renderer.render(Kind.booking_cancelled, Channel.email, variables(by="staff"))
    assert "Comme vous l'avez demandé" in mine.text and "par l'équipe" in theirs.text
    waitlist = renderer.render(Kind.booking_waitlisted, Channel.email, variables(position=3))
    assert "en 3e position" in waitlist.text and "L'atelier « Mes démarches" in waitlist.text


def calendar_event(method: str = "REQUEST", sequence: int = 1) -> CalendarEvent:
    return CalendarEvent(
        uid="b-42@maillage.test", sequence=sequence, method=method, starts_at=STARTS, ends_at=ENDS,  # type: ignore[arg-type]
        stamp=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
        summary="Mes démarches en ligne (impôts, CAF, ANTS) — Tiers-lieu de Conques-sur-Orbiel",
        location="Salle 2, Tiers-lieu de Conques-sur-Orbiel; 2 avenue de l'Exemple", description="Ligne 1\nLigne 2",
        organizer_name='Le "Pôle"', organizer_email="ne-pas-repondre@maillage.test", attendee_email="a@example.org",
    )


def test_ics_parses_back_with_escaping_and_folding() -> None:
    text = to_ics(calendar_event())
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    parsed = icalendar.Calendar.from_ical(text)
    [event] = parsed.walk("VEVENT")
    assert parsed["METHOD"] == "REQUEST" and event["STATUS"] == "CONFIRMED"
    assert str(event["SUMMARY"]).startswith("Mes démarches en ligne (impôts, CAF, ANTS)")
    assert str(event["LOCATION"]) == "Salle 2, Tiers-lieu de Conques-sur-Orbiel; 2 avenue de l'Exemple"
    assert str(event["DESCRIPTION"]) == "Ligne 1\nLigne 2"
    assert event.decoded("DTSTART") == STARTS and int(event["SEQUENCE"]) == 1
    cancel = icalendar.Calendar.from_ical(to_ics(calendar_event("CANCEL", 2)))
    assert cancel["METHOD"] == "CANCEL" and cancel.walk("VEVENT")[0]["STATUS"] == "CANCELLED"


def test_folding_never_splits_a_multibyte_character() -> None:
    line = "SUMMARY:" + "é" * 100
    folded = fold(line)
    assert all(len(part.encode()) <= 75 for part in folded.split("\r\n"))
    assert folded.replace("\r\n ", "") == line


def test_email_has_a_deterministic_message_id_and_the_invitation_attached() -> None:
    settings = NotificationSettings(smtp_host="127.0.0.1", mail_domain="maillage.test")
    outgoing = Outgoing("k" * 40, "booking_confirmed", "cit-000001", "a@example.org", "Sujet", "Bonjour,",
                        datetime(2026, 12, 1, 9, tzinfo=UTC), Attachment("rendez-vous.ics", to_ics(calendar_event()),
                                                                         "REQUEST"))
    first, again = build_email(outgoing, settings), build_email(outgoing, settings)
    assert first["Message-ID"] == again["Message-ID"] == f"<{'k' * 40}@maillage.test>"
    assert first["Content-Language"] == "fr"
    [part] = [p for p in first.iter_attachments() if isinstance(p, EmailMessage)]
    assert part.get_content_type() == "text/calendar" and part.get_param("method") == "REQUEST"


def test_sms_body_template_substitutes_values_without_breaking_json() -> None:
    body = render_body('{"dest": ["$to"], "msg": {"text": "$text"}, "n": 1}', {"to": "0600", "text": 'dit "oui"'})
    assert body == {"dest": ["0600"], "msg": {"text": 'dit "oui"'}, "n": 1}
    settings = NotificationSettings(sms_gateway_url="http://127.0.0.1:1/sms", sms_auth_value="Bearer t")
    headers, payload = HttpSmsGateway(settings).request_parts(Outgoing(
        "key-1", "reminder", "cit-000001", "0600", "", "Rappel", datetime(2026, 12, 1, tzinfo=UTC)
    ))
    assert headers == {"Idempotency-Key": "key-1", "Authorization": "Bearer t"}
    assert payload == {"to": "0600", "from": "MAILLAGE", "text": "Rappel", "reference": "key-1"}


def test_settings_refuse_a_lease_shorter_than_a_provider_call() -> None:
    with pytest.raises(ValueError, match="send_lease_seconds"):
        NotificationSettings(send_lease_seconds=5, smtp_timeout=30)
    with pytest.raises(ValueError, match="canaux inconnus"):
        NotificationSettings(channel_order=["fax"])
