"""The front-ends' rules without I/O: passwords, the own-site guard, the booking form, link tokens, wording."""

import pytest

from services.bot.conversation import citizen_id_of as bot_citizen_id
from services.console.desk import outcome_of
from services.console.guard import Forbidden, own_site
from services.console.staff import Staff, hash_password, verify_password
from services.public.citizen import citizen_id_of, is_token, new_token
from services.public.client import Answer
from services.public.forms import check_booking, check_person
from shared.contract.citizen import CitizenRef

MARIE = Staff("marie", "trebes", "Marie")


def test_passwords_are_salted_scrypt_and_checked_in_constant_time() -> None:
    first, second = hash_password("un mot de passe long"), hash_password("un mot de passe long")
    assert first != second and first.startswith("scrypt$16384$8$1$")
    assert verify_password("un mot de passe long", first)
    assert not verify_password("un mot de passe lonG", first)
    assert not verify_password("x", "pas-un-hash")


def test_staff_act_for_their_own_site_only() -> None:
    own_site(MARIE, "trebes", "Cet atelier")
    with pytest.raises(Forbidden, match=r"relève d'un autre lieu \(hub\)") as refused:
        own_site(MARIE, "hub", "Cet atelier")
    assert refused.value.elsewhere
    with pytest.raises(Forbidden, match="inconnu"):
        own_site(MARIE, None, "Le matériel TAB-1")


def test_the_booking_form_wants_one_channel_with_consent() -> None:
    good = {"nom": "  Suzanne   Roux ", "canal": "sms", "telephone": "06 12 34 56 78", "consentement": "oui",
            "tranche_age": "soixante_dix_plus", "commune": "11069", "email": "ignoree@exemple.fr"}
    person = check_booking(good).person
    assert person is not None
    assert (person.name, person.channel, person.phone, person.email) == ("Suzanne Roux", "sms", "06 12 34 56 78", None)
    missing = check_booking({"nom": "", "canal": "email", "email": "pas-une-adresse", "commune": "99999"})
    assert missing.person is None
    assert set(missing.errors) == {"nom", "email", "consentement", "commune"}
    assert set(check_booking({"nom": "A"}).errors) == {"canal"}


def test_at_the_desk_a_contact_is_optional() -> None:
    person = check_person({"nom": "Ali"}).person
    assert person is not None and person.channel is None and person.age_bracket == "non_communique"


def test_link_tokens_are_unguessable_and_ids_reveal_nothing() -> None:
    token = new_token()
    assert is_token(token) and len(token) == 32 and new_token() != token
    assert not is_token("../../etc") and not is_token(None)
    citizen = citizen_id_of(token)
    assert citizen == citizen_id_of(token) and token not in citizen
    CitizenRef(citizen_id=citizen)  # fits the contract
    CitizenRef(citizen_id=bot_citizen_id(123456789))
    assert "123456789" not in bot_citizen_id(123456789)


@pytest.mark.parametrize(("answer", "kind", "text"), [
    (Answer("answered", {"type": "booking.waitlisted", "position": 2}), "attente", "position 2"),
    (Answer("answered", {"type": "attendance.checked_in", "walk_in": True}), "ok", "sans réservation"),
    (Answer("answered", {"type": "booking.rejected", "request_type": "x", "reason": "full", "detail": "Complet."}),
     "refus", "Refusé : Complet."),
    (Answer("answered", {"type": "inventory.loan_checked_out", "asset_tag": "T-1", "due_date": "2026-12-22"}),
     "ok", "à rendre le 22/12/2026"),
    (Answer("pending"), "attente", "Demande enregistrée"),
    (Answer("unavailable"), "refus", "ne répond pas"),
])
def test_outcomes_in_plain_french(answer: Answer, kind: str, text: str) -> None:
    outcome = outcome_of(answer)
    assert outcome.kind == kind and text in outcome.text
