"""``maillage report`` and ``maillage reporting rebuild|cra|opendata``.

``register(subparsers)`` adds the commands to the ``maillage`` parser; ``run(args)`` runs the one
chosen and returns the exit code (0 done, 1 failed, 2 bad input, with a one-line French error).
"""

import argparse
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from services.reporting import cra, opendata, queries, report, tables
from services.reporting.model import Period
from services.reporting.settings import ReportingSettings
from shared.db import make_engine

Command = Callable[[argparse.Namespace], Awaitable[int]]


def clock() -> datetime:
    return datetime.now(UTC)


class BadInput(Exception):
    """A one-line French message for the user; exit code 2."""


def register(subparsers: Any) -> None:
    rep = subparsers.add_parser("report", help="bilan d'une période en PDF ou HTML (graphiques, tableaux, synthèse)")
    _period_args(rep, required=True)
    rep.add_argument("--out", required=True, help="fichier .pdf ou .html")
    # dest is not "site": `maillage` reads args.site as the node to run as (MAILLAGE_SITE).
    rep.add_argument("--site", dest="report_site", help="un seul lieu (slug) ; par défaut tout le réseau")
    rep.set_defaults(run=cmd_report)

    reporting = subparsers.add_parser("reporting", help="indicateurs : reconstruction, CRA, open data")
    sub = reporting.add_subparsers(dest="reporting_command", required=True)
    rebuild = sub.add_parser("rebuild", help="vider les modèles de lecture et rejouer les flux depuis le début")
    rebuild.add_argument("--stream", action="append", help="flux à rejouer (répétable) ; défaut : celui du nœud")
    rebuild.set_defaults(run=cmd_rebuild)
    records = sub.add_parser("cra", help="comptes rendus d'activité au format national (CSV ou XLSX)")
    _period_args(records, required=True)
    records.add_argument("--out", required=True, help="fichier .csv ou .xlsx")
    records.set_defaults(run=cmd_cra)
    data = sub.add_parser("opendata", help="lieux (schéma national) et fréquentation, effectifs masqués")
    _period_args(data, required=False)
    data.add_argument("--out", required=True, help="dossier de sortie")
    data.set_defaults(run=cmd_opendata)


def _period_args(parser: argparse.ArgumentParser, required: bool) -> None:
    parser.add_argument("--from", dest="start", required=required, help="premier jour, AAAA-MM-JJ")
    parser.add_argument("--to", dest="end", required=required, help="dernier jour, AAAA-MM-JJ")


async def run(args: argparse.Namespace) -> int:
    command: Command = args.run
    try:
        return await command(args)
    except BadInput as exc:
        print(f"maillage: erreur : {exc}", file=sys.stderr)
        return 2


def _day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise BadInput(f"date invalide pour {option} : {value!r} (attendu AAAA-MM-JJ)") from None


def period_of(args: argparse.Namespace, today: date | None = None) -> Period:
    if args.start is None and args.end is None and today is not None:
        return Period(date(today.year, 1, 1), today)
    if args.start is None or args.end is None:
        raise BadInput("--from et --to vont ensemble")
    start, end = _day(args.start, "--from"), _day(args.end, "--to")
    if end < start:
        raise BadInput(f"--to ({end}) précède --from ({start})")
    return Period(start, end)


def _out(value: str, suffixes: tuple[str, ...]) -> Path:
    path = Path(value)
    if path.suffix.lower() not in suffixes:
        raise BadInput(f"--out doit finir par {' ou '.join(suffixes)} : {value!r}")
    return path


async def _engine(settings: ReportingSettings) -> AsyncEngine:
    engine = make_engine(settings.database_url_for("reporting"))
    async with engine.begin() as conn:
        await conn.run_sync(tables.metadata.create_all)
    return engine


async def cmd_report(args: argparse.Namespace) -> int:
    settings = ReportingSettings()
    period, out = period_of(args), _out(args.out, report.FORMATS)
    site = args.report_site
    if site and settings.network.site(site) is None:
        raise BadInput(f"lieu inconnu : {site!r} ({', '.join(s.slug for s in settings.network.sites)})")
    engine = await _engine(settings)
    try:
        result = await report.produce(engine, settings, period, out, clock(), site)
    finally:
        await engine.dispose()
    f = result.figures
    print(f"Bilan écrit : {out} ({f.people} personnes, {f.visits} visites, {f.sessions_held} séances)")
    return 0


async def cmd_cra(args: argparse.Namespace) -> int:
    settings = ReportingSettings()
    period, out = period_of(args), _out(args.out, (".csv", ".xlsx"))
    engine = await _engine(settings)
    try:
        async with engine.connect() as conn:
            facts = await queries.load_facts(conn, period)
            refused = [r for r in await queries.load_rejections(conn) if r.day and period.contains(r.day)]
    finally:
        await engine.dispose()
    rows = cra.records(facts, period, settings.network, settings.territory)
    problems = [f"{row['id']}: {p}" for row in rows for p in cra.validate_row(row)]
    if problems:
        print("maillage: CRA non conformes :\n  " + "\n  ".join(problems[:20]), file=sys.stderr)
        return 1
    out.parent.mkdir(parents=True, exist_ok=True)
    (cra.write_xlsx if out.suffix.lower() == ".xlsx" else cra.write_csv)(rows, out)
    print(f"{len(rows)} comptes rendus écrits dans {out}")
    for r in refused:
        print(f"  refusé à l'ingestion : {r.record_id} ({r.day}, {r.site}) — {r.reason} : {r.detail}")
    return 0


async def cmd_opendata(args: argparse.Namespace) -> int:
    settings = ReportingSettings()
    now = clock()
    today = now.astimezone(settings.zone).date()
    period = period_of(args, today)
    engine = await _engine(settings)
    try:
        async with engine.connect() as conn:
            facts = await queries.load_facts(conn, period)
            last = {s.slug: await queries.last_activity_day(conn, s.slug) for s in settings.network.sites}
    finally:
        await engine.dispose()
    data = opendata.build(facts, period, settings.network, settings.territory, settings.suppression_threshold,
                          last, today)
    problems = [f"{lieu['id']}: {p}" for lieu in data.lieux for p in opendata.validate_lieu(lieu)]
    if problems:
        print("maillage: lieux non conformes au schéma :\n  " + "\n  ".join(problems[:20]), file=sys.stderr)
        return 1
    for path in opendata.write(data, Path(args.out)):
        print(f"écrit : {path}")
    return 0


async def cmd_rebuild(args: argparse.Namespace) -> int:
    import nats

    from services.reporting.rebuild import rebuild

    settings = ReportingSettings()
    url = settings.nats_url
    written = Path(settings.data_dir) / "nats.url"
    if not url and written.exists():
        url = written.read_text().strip()
    if not url:
        print("maillage: erreur : aucun nœud trouvé (lancez `maillage up`, ou définissez MAILLAGE_NATS_URL)",
              file=sys.stderr)
        return 1
    nc = await nats.connect(url, name="maillage-reporting-rebuild")
    js = nc.jetstream(timeout=10.0)
    engine = make_engine(settings.database_url_for("reporting"))
    try:
        result = await rebuild(js, engine, settings, args.stream)
    finally:
        await engine.dispose()
        await nc.close()
    print("\n".join(result.lines()))
    return 0
