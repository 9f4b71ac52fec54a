"""Rendering front-end pages: one Jinja environment per front-end, with the French filters."""

from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web
from jinja2 import Environment, PackageLoader, select_autoescape

from services.public import fr
from services.public.places import communes

HTML = "text/html"


def environment(package: str, timezone: str) -> Environment:
    zone = ZoneInfo(timezone)
    env = Environment(loader=PackageLoader(package, "templates"), autoescape=select_autoescape(default=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["when"] = lambda value: fr.when(value, zone)
    env.filters["day"] = fr.day
    env.filters["time"] = lambda value: fr.time_of(value, zone)
    env.filters["theme"] = lambda value: fr.THEME.get(value, value)
    env.filters["age"] = lambda value: fr.AGE.get(value, value)
    env.filters["level"] = lambda value: fr.LEVEL.get(value, value)
    env.filters["status"] = lambda value: fr.STATUS.get(value, value)
    env.globals["AGES"] = fr.AGE
    env.globals["THEMES"] = fr.THEME
    env.globals["communes"] = communes
    return env


def render(env: Environment, template: str, status: int = 200, **context: Any) -> web.Response:
    body = env.get_template(template).render(**context)
    response = web.Response(text=body, content_type=HTML, charset="utf-8", status=status)
    response.headers["Content-Security-Policy"] = "default-src 'self'; style-src 'self' 'unsafe-inline'; " \
        "script-src 'self' 'unsafe-inline'; frame-ancestors 'none'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"  # the booking link must not leak in a Referer
    return response
