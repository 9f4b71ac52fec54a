"""``maillage console add-staff``: create or replace a staff account of this node's console."""

import argparse
import getpass
import os
import sys
from typing import Any

from services.console import staff, tables
from services.console.app import NAME
from services.console.settings import ConsoleSettings
from shared.contract.envelope import is_slug
from shared.db import make_engine
from shared.migrations import ensure_schema


async def add_staff(login: str, site: str, name: str, password: str, settings: ConsoleSettings | None = None) -> None:
    settings = settings or ConsoleSettings()
    if not is_slug(site):
        raise ValueError(f"site invalide : {site!r}")
    engine = make_engine(settings.database_url_for(NAME))
    try:
        await ensure_schema(engine, NAME, tables.metadata)  # a node that never ran the console yet
        async with engine.begin() as conn:
            await staff.add_staff(conn, login, site, name, password)
    finally:
        await engine.dispose()


def register(subparsers: Any) -> None:
    console = subparsers.add_parser("console", help="console d'accueil : comptes du personnel")
    sub = console.add_subparsers(dest="console_command", required=True)
    add = sub.add_parser("add-staff", help="créer ou remplacer un compte (mot de passe demandé, ou "
                                           "MAILLAGE_STAFF_PASSWORD)")
    add.add_argument("login")
    add.add_argument("--site", required=True, help="le lieu pour lequel ce compte agit")
    add.add_argument("--name", required=True, help="nom affiché")


async def run(args: argparse.Namespace) -> int:
    password = os.environ.get("MAILLAGE_STAFF_PASSWORD") or getpass.getpass("Mot de passe : ")
    try:
        await add_staff(args.login, args.site, args.name, password)
    except ValueError as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        return 2
    print(f"compte « {args.login} » enregistré pour le lieu {args.site}")
    return 0
