"""French wording shared by the front-ends: dates and times as people say them, labels of national values."""

from datetime import date, datetime
from zoneinfo import ZoneInfo

from services.reporting.fr import AGE, MONTHS, THEME

__all__ = ["AGE", "LEVEL", "THEME", "day", "time_of", "when"]

PARIS = ZoneInfo("Europe/Paris")
DAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
LEVEL = {"debutant": "Débutant", "intermediaire": "Intermédiaire", "avance": "Avancé"}
STATUS = {"confirmed": "Inscrit·e", "waitlisted": "Liste d'attente", "attended": "Présent·e",
          "no_show": "Absent·e", "cancelled": "Annulé"}


def day(value: date) -> str:
    first = "1er" if value.day == 1 else str(value.day)
    return f"{DAYS[value.weekday()]} {first} {MONTHS[value.month - 1]} {value.year}"


def time_of(value: datetime, zone: ZoneInfo = PARIS) -> str:
    local = value.astimezone(zone)
    return f"{local.hour} h {local.minute:02d}"


def when(value: datetime, zone: ZoneInfo = PARIS) -> str:
    """« mardi 1er décembre 2026 à 10 h 00 »"""
    local = value.astimezone(zone)
    return f"{day(local.date())} à {time_of(local, zone)}"
