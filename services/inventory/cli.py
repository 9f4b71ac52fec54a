"""``maillage inventory …``: where an asset is, what is on loan or overdue, the funder's asset register.

Like the other services' CLIs: ``register(subparsers)`` adds the commands, ``await run(args)`` runs the
chosen one. Each reads this node's inventory database (read-only) and returns an exit code:
0 done, 1 nothing found or database unavailable, 2 invalid arguments.
"""

import argparse
import csv
import io
import re
import sys
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncConnection

from services.inventory import queries
from services.inventory.history import describe
from services.inventory.model import KIND_LABELS, STATUS_LABELS, S
from services.inventory.settings import InventorySettings
from shared.contract.envelope import SLUG_PATTERN, utcnow
from shared.db import make_engine

CONDITIONS = {"new": "neuf", "good": "bon", "worn": "usé", "damaged": "abîmé", "broken": "hors service"}
MODES = {"take_home": "à emporter", "on_site": "sur place"}


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("inventory", help="inventaire du matériel : localisation, prêts, registre")
    sub = parser.add_subparsers(dest="inventory_command", required=True, metavar="commande")
    where = sub.add_parser("where", help="où est un matériel, et son historique")
    where.add_argument("tag", type=_tag, help="étiquette du matériel (QR / code-barres)")
    where.set_defaults(run=cmd_where)
    loans = sub.add_parser("loans", help="prêts en cours (ou en retard) d'un site")
    loans.add_argument("--site", type=_slug, help="site détenteur (défaut : tous)")
    loans.add_argument("--overdue", action="store_true", help="seulement les prêts en retard")
    loans.set_defaults(run=cmd_loans)
    export = sub.add_parser("register-export", help="registre des biens pour le financeur (CSV)")
    export.add_argument("--out", type=Path, help="fichier CSV à écrire (défaut : sortie standard)")
    export.set_defaults(run=cmd_register_export)


async def run(args: argparse.Namespace) -> int:
    command: Callable[[argparse.Namespace], Coroutine[Any, Any, int]] = args.run
    return await command(args)


def _tag(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9_.:-]{1,80}", value):
        raise argparse.ArgumentTypeError(f"étiquette invalide : {value!r}")
    return value


def _slug(value: str) -> str:
    if not re.fullmatch(SLUG_PATTERN, value):
        raise argparse.ArgumentTypeError(f"site invalide : {value!r}")
    return value


# --- commands ---------------------------------------------------------------------------------------

async def cmd_where(args: argparse.Namespace) -> int:
    return await _read(lambda conn, settings: _where(conn, settings, args.tag))


async def cmd_loans(args: argparse.Namespace) -> int:
    settings = InventorySettings()
    if args.site and args.site not in settings.known_sites:
        print(f"Site inconnu : {args.site} (sites : {', '.join(settings.known_sites)}).", file=sys.stderr)
        return 2
    return await _read(lambda conn, settings: _loans(conn, settings, args.site, args.overdue))


async def cmd_register_export(args: argparse.Namespace) -> int:
    return await _read(lambda conn, settings: _export(conn, args.out))


def _missing_sqlite_file(url: str) -> bool:
    """Reading must not create an empty database where the service has never run."""
    return url.startswith("sqlite") and not Path(url.split("///", 1)[-1]).exists()


async def _read(body: Callable[[AsyncConnection, InventorySettings], Coroutine[Any, Any, int]]) -> int:
    settings = InventorySettings()
    url = settings.database_url_for("inventory")
    if _missing_sqlite_file(url):
        print(f"Base d'inventaire introuvable : {url} (le service inventaire a-t-il tourné ?)", file=sys.stderr)
        return 1
    engine = make_engine(url)
    try:
        async with engine.connect() as conn:
            return await body(conn, settings)
    except SQLAlchemyError as exc:
        print(f"Base d'inventaire illisible ({url}) : {type(exc).__name__}", file=sys.stderr)
        return 1
    finally:
        await engine.dispose()


async def _where(conn: AsyncConnection, settings: InventorySettings, tag: str) -> int:
    sheet = await queries.asset_sheet(conn, tag)
    if sheet is None:
        print(f"Matériel inconnu : {tag}.", file=sys.stderr)
        return 1
    zone, a = ZoneInfo(settings.timezone), sheet.asset
    print(f"{a.asset_tag} — {KIND_LABELS.get(a.kind, a.kind)} « {a.model} », n° de série {a.serial or '-'}")
    print(f"  Statut       : {STATUS_LABELS[S(a.status)]}")
    print(f"  Site         : {a.site}")
    if sheet.transfer_to:
        print(f"  Transfert    : en route vers {sheet.transfer_to}")
    if sheet.loan:
        lo = sheet.loan
        print(f"  Prêt         : {MODES.get(lo.mode, lo.mode)}, à {lo.citizen_id or 'un atelier'}, "
              f"retour le {lo.due_date:%d/%m/%Y}")
    bought = f", acheté le {a.purchase_date:%d/%m/%Y}" if a.purchase_date else ""
    print(f"  Financement  : {a.funding_source} — {_euros(a.purchase_price)} €{bought}")
    print(f"  État         : {CONDITIONS.get(a.condition, a.condition)}")
    print("Historique :")
    for entry in sheet.history:
        where = f" — {entry.site}, {STATUS_LABELS[S(entry.status)]}" if entry.site and entry.status else ""
        print(f"  {entry.at.astimezone(zone):%d/%m/%Y %H:%M}  {describe(entry.event_type, entry.facts)}{where}")
    return 0


async def _loans(conn: AsyncConnection, settings: InventorySettings, site: str | None, overdue: bool) -> int:
    now = utcnow()
    loans = await queries.active_loans(conn, now, site, overdue)
    what = "Prêts en retard" if overdue else "Prêts en cours"
    print(f"{what} — {'site ' + site if site else 'tous les sites'} : {len(loans)}")
    zone = ZoneInfo(settings.timezone)
    for lo in loans:
        late = (now.astimezone(zone).date() - lo.due_date).days
        flag = f"  EN RETARD ({late} j)" if lo.overdue(now) else ""
        print(f"  {lo.asset_tag:<14} {KIND_LABELS.get(lo.kind, lo.kind):<20} {lo.site:<10} "
              f"{lo.citizen_id or '(atelier)':<14} {MODES.get(lo.mode, lo.mode):<10} "
              f"depuis le {lo.started_at.astimezone(zone):%d/%m/%Y}  retour le {lo.due_date:%d/%m/%Y}{flag}")
    return 0


async def _export(conn: AsyncConnection, out: Path | None) -> int:
    register = await queries.asset_register(conn)
    if out is None:
        write_register(register, sys.stdout)
        return 0
    _write_file(register, out)
    total = sum(value for _, value in register.totals.values())
    print(f"Registre écrit dans {out} : {len(register.assets)} biens, {_euros(total)} €.")
    for source, (count, value) in sorted(register.totals.items()):
        print(f"  {source} : {count} biens, {_euros(value)} €")
    return 0


REGISTER_COLUMNS = ("etiquette", "type", "modele", "numero_de_serie", "date_achat", "prix_achat_eur",
                    "financement", "statut", "site", "etat")


def _write_file(register: queries.Register, out: Path) -> None:
    with out.open("w", encoding="utf-8-sig", newline="") as f:  # BOM: spreadsheets then read the accents
        write_register(register, f)


def write_register(register: queries.Register, out: TextIO) -> None:
    """French spreadsheet CSV (``;``, decimal comma): the assets, then the totals per funding source."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\n")
    writer.writerow(REGISTER_COLUMNS)
    for a in register.assets:
        writer.writerow([
            a.asset_tag, KIND_LABELS.get(a.kind, a.kind), a.model, a.serial,
            a.purchase_date.isoformat() if a.purchase_date else "", _euros(a.purchase_price), a.funding_source,
            STATUS_LABELS[S(a.status)], a.site, CONDITIONS.get(a.condition, a.condition),
        ])
    writer.writerow([])
    writer.writerow(["financement", "nombre_de_biens", "valeur_totale_eur"])
    for source, (count, value) in sorted(register.totals.items()):
        writer.writerow([source, count, _euros(value)])
    writer.writerow(["TOTAL", len(register.assets), _euros(sum(v for _, v in register.totals.values()))])
    out.write(buffer.getvalue())


def _euros(amount: Any) -> str:
    return f"{amount:.2f}".replace(".", ",")
