"""Turn a message into French text for one channel, with the Jinja2 templates (one file per kind).

Each ``templates/<kind>.j2`` defines the macros ``subject()``, ``email()``, ``sms()`` and ``call()``
(what staff read before phoning). Bot front-ends get the short ``sms()`` text: plain and complete.
Unknown variables are errors (``StrictUndefined``): a template never says "None" to someone.
"""

from dataclasses import dataclass
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined

from services.notifications import french
from services.notifications.model import Channel, Kind
from services.notifications.settings import place_of

TEMPLATES = Path(__file__).parent / "templates"


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str


def environment(zone: ZoneInfo) -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES), undefined=StrictUndefined, autoescape=False,
        trim_blocks=True, lstrip_blocks=True, keep_trailing_newline=False,
    )
    env.filters.update(
        jour=partial(french.day_fr, zone=zone),
        jour_court=partial(french.short_day_fr, zone=zone),
        jour_sans_annee=partial(french.day_no_year_fr, zone=zone),
        majuscule=french.first_upper,
        heure=partial(french.hour_fr, zone=zone),
        court=french.truncate,
        objet=french.asset_name,
        dans=french.hours_fr,
        nom_lieu=lambda site: place_of(site).name,
    )
    return env


class Renderer:
    def __init__(self, zone: ZoneInfo) -> None:
        self._env = environment(zone)

    def render(self, kind: Kind | str, channel: Channel, variables: dict[str, Any]) -> Rendered:
        module: Any = self._env.get_template(f"{kind}.j2").make_module(variables)
        body = {
            Channel.email: module.email, Channel.sms: module.sms, Channel.bot: module.sms,
            Channel.phone_call: module.call,
        }[channel]
        return Rendered(_clean(str(module.subject())), _clean(str(body())))


def _clean(text: str) -> str:
    lines = [line.rstrip() for line in text.strip().splitlines()]
    out: list[str] = []
    for line in lines:  # at most one blank line in a row, whatever the template's conditionals left
        if line or (out and out[-1]):
            out.append(line)
    return "\n".join(out)


def parse_when(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def parse_day(value: Any) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) and value else None
