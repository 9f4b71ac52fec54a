"""The minimum a person gives to book, checked field by field with French messages (no I/O)."""

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from services.public.places import is_commune
from shared.contract.directory import EMAIL, PHONE
from shared.contract.national import AgeBracket

_EMAIL, _PHONE = re.compile(EMAIL), re.compile(PHONE)
CHANNELS = {"email": "E-mail", "sms": "SMS (téléphone portable)"}


@dataclass(frozen=True)
class Person:
    name: str
    age_bracket: str = AgeBracket.non_communique.value
    commune_insee: str | None = None
    channel: str | None = None  # the one channel the person agreed to be told on
    email: str | None = None
    phone: str | None = None


@dataclass
class Checked:
    person: Person | None
    errors: dict[str, str] = field(default_factory=dict)
    values: dict[str, str] = field(default_factory=dict)


def _common(data: Mapping[str, str], errors: dict[str, str]) -> tuple[str, str, str | None]:
    name = " ".join(data.get("nom", "").split())
    if not name:
        errors["nom"] = "Indiquez un nom (ou un prénom)."
    elif len(name) > 120:
        errors["nom"] = "Le nom est trop long (120 caractères au plus)."
    age = data.get("tranche_age", "") or AgeBracket.non_communique.value
    if age not in AgeBracket.__members__:
        errors["tranche_age"] = "Choisissez une tranche d'âge dans la liste."
    commune = data.get("commune", "") or None
    if commune is not None and not is_commune(commune):
        errors["commune"] = "Choisissez une commune dans la liste."
    return name, age, commune


def _contact(data: Mapping[str, str], errors: dict[str, str], required: bool) -> tuple[str | None, ...]:
    channel = data.get("canal", "") or None
    email = data.get("email", "").strip() or None
    phone = data.get("telephone", "").strip() or None
    if channel is None:
        if required:
            errors["canal"] = "Choisissez comment vous prévenir : e-mail ou SMS."
        return None, None, None
    if channel not in CHANNELS:
        errors["canal"] = "Choisissez e-mail ou SMS."
    elif channel == "email" and not (email and _EMAIL.match(email)):
        errors["email"] = "Indiquez une adresse e-mail valide, par exemple nom@exemple.fr."
    elif channel == "sms" and not (phone and _PHONE.match(phone)):
        errors["telephone"] = "Indiquez un numéro de téléphone valide, par exemple 06 12 34 56 78."
    if data.get("consentement") != "oui":
        errors["consentement"] = "Cochez la case pour accepter d'être prévenu·e par ce moyen."
    return channel, (email if channel == "email" else None), (phone if channel == "sms" else None)


def check_booking(data: Mapping[str, str]) -> Checked:
    """Public page: a name, one contact channel with consent, an age band, a commune."""
    errors: dict[str, str] = {}
    name, age, commune = _common(data, errors)
    channel, email, phone = _contact(data, errors, required=True)
    values = {k: data.get(k, "") for k in ("nom", "canal", "email", "telephone", "consentement", "tranche_age",
                                           "commune")}
    if errors:
        return Checked(None, errors, values)
    return Checked(Person(name, age, commune, channel, email, phone), errors, values)


def check_person(data: Mapping[str, str]) -> Checked:
    """At the desk: a name, an age band, a commune; a contact only if the person wants messages."""
    errors: dict[str, str] = {}
    name, age, commune = _common(data, errors)
    channel, email, phone = _contact(data, errors, required=False)
    values = {k: data.get(k, "") for k in ("nom", "canal", "email", "telephone", "consentement", "tranche_age",
                                           "commune")}
    if errors:
        return Checked(None, errors, values)
    return Checked(Person(name, age, commune, channel, email, phone), errors, values)
