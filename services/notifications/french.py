"""Dates and words written out in French, for people, in local time (no locale needed on the box)."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

DAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")
MONTHS = (
    "janvier", "février", "mars", "avril", "mai", "juin",
    "juillet", "août", "septembre", "octobre", "novembre", "décembre",
)
SHORT_MONTHS = ("janv.", "févr.", "mars", "avr.", "mai", "juin", "juil.", "août", "sept.", "oct.", "nov.", "déc.")

ASSET_NAMES = {
    "laptop": "l'ordinateur portable", "desktop": "l'ordinateur", "tablet": "la tablette",
    "phone": "le téléphone", "printer": "l'imprimante", "hotspot": "la clé 4G (point d'accès)",
    "kit": "le kit de matériel",
}


def _local(value: datetime | date, zone: ZoneInfo) -> datetime | date:
    return value.astimezone(zone) if isinstance(value, datetime) else value


def day_fr(value: datetime | date, zone: ZoneInfo) -> str:
    """``mercredi 3 décembre 2026`` (``1er`` for the first of the month)."""
    d = _local(value, zone)
    number = "1er" if d.day == 1 else str(d.day)
    return f"{DAYS[d.weekday()]} {number} {MONTHS[d.month - 1]} {d.year}"


def short_day_fr(value: datetime | date, zone: ZoneInfo) -> str:
    """``mer. 3 déc.`` — for SMS."""
    d = _local(value, zone)
    number = "1er" if d.day == 1 else str(d.day)
    return f"{DAYS[d.weekday()][:3]}. {number} {SHORT_MONTHS[d.month - 1]}"


def hour_fr(value: datetime, zone: ZoneInfo) -> str:
    """``10 h``, ``14 h 30`` — the way times are written (and read aloud) in French."""
    t = value.astimezone(zone)
    return f"{t.hour} h" if t.minute == 0 else f"{t.hour} h {t.minute:02d}"


def day_no_year_fr(value: datetime | date, zone: ZoneInfo) -> str:
    """``vendredi 4 décembre`` — for SMS, where the year goes without saying."""
    return day_fr(value, zone).rsplit(" ", 1)[0]


def first_upper(text: str) -> str:
    """Capitalise the first letter only (Jinja's ``capitalize`` lowercases the rest, titles included)."""
    return text[:1].upper() + text[1:]


def truncate(text: str, length: int) -> str:
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


def asset_name(kind: str) -> str:
    return ASSET_NAMES.get(kind, "le matériel")


def hours_fr(hours: float) -> str:
    """How far ahead a reminder is: ``demain`` for about a day, else ``dans 2 heures``."""
    if 20 <= hours <= 28:
        return "demain"
    if hours >= 36:
        return f"dans {round(hours / 24)} jours"
    if hours == 1:
        return "dans une heure"
    return f"dans {hours:g} heures"
