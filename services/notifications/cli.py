"""What the ``maillage notifications …`` commands call: the staff call list, read from the store."""

import argparse
import sys
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from services.notifications import tables
from services.notifications.app import NAME
from services.notifications.channels.call_list import CallEntry, calls_for_day, format_call_list, mark_called
from services.notifications.french import day_fr
from services.notifications.settings import NotificationSettings, place_of
from shared.db import make_engine
from shared.service import utc_now


async def call_list(
    site: str, day: date | None = None, settings: NotificationSettings | None = None, now: datetime | None = None
) -> list[CallEntry]:
    """Who staff at ``site`` should phone on ``day`` (default: today, local time)."""
    settings = settings or NotificationSettings()
    zone = ZoneInfo(settings.timezone)
    now = now or utc_now()
    day = day or now.astimezone(zone).date()
    engine = make_engine(settings.database_url_for(NAME))
    try:
        async with engine.begin() as conn:
            await conn.run_sync(tables.metadata.create_all)  # a node that never ran the service: empty list
        async with engine.connect() as conn:
            return await calls_for_day(conn, site, day, now, zone)
    finally:
        await engine.dispose()


async def call_list_text(
    site: str, day: date | None = None, settings: NotificationSettings | None = None, now: datetime | None = None
) -> str:
    """``maillage notifications call-list --site S``: the list as staff read it."""
    settings = settings or NotificationSettings()
    zone = ZoneInfo(settings.timezone)
    now = now or utc_now()
    day = day or now.astimezone(zone).date()
    entries = await call_list(site, day, settings, now)
    return format_call_list(place_of(site).name, day_fr(day, zone), entries)


async def call_done(entry_id: int, staff_id: str | None = None, settings: NotificationSettings | None = None) -> bool:
    """``maillage notifications call-done ID``: the call was made; the entry leaves the list."""
    settings = settings or NotificationSettings()
    engine = make_engine(settings.database_url_for(NAME))
    try:
        async with engine.begin() as conn:
            return await mark_called(conn, entry_id, staff_id, utc_now())
    finally:
        await engine.dispose()


def register(subparsers: Any) -> None:
    """``maillage notifications call-list|call-done``."""
    parser = subparsers.add_parser("notifications", help="appels à passer par le personnel")
    sub = parser.add_subparsers(dest="notifications_command", required=True)
    listing = sub.add_parser("call-list", help="les personnes à appeler aujourd'hui")
    # dest is not "site": `maillage` reads args.site as the node to run as (MAILLAGE_SITE).
    listing.add_argument("--site", dest="call_site", required=True, help="slug du lieu")
    listing.add_argument("--day", type=_day, help="AAAA-MM-JJ (par défaut aujourd'hui)")
    listing.set_defaults(run=_list)
    done = sub.add_parser("call-done", help="un appel a été passé : il sort de la liste")
    done.add_argument("entry_id", type=int)
    done.add_argument("--staff", help="qui a appelé")
    done.set_defaults(run=_done)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"date attendue AAAA-MM-JJ, pas {value!r}") from None


async def _list(args: argparse.Namespace) -> int:
    print(await call_list_text(args.call_site, args.day))
    return 0


async def _done(args: argparse.Namespace) -> int:
    if await call_done(args.entry_id, args.staff):
        print("appel noté")
        return 0
    print(f"maillage: erreur : aucun appel n°{args.entry_id} à passer", file=sys.stderr)
    return 1


async def run(args: argparse.Namespace) -> int:
    command: Callable[[argparse.Namespace], Awaitable[int]] = args.run
    return await command(args)
