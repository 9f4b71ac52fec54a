"""The dashboard people look at: this month's figures, sites, communes, sync status — in French,
readable on a phone. Served over HTTP by the reporting service (``DashboardServer``), on its own port.

Routes: ``/`` (the page, ``?mois=AAAA-MM`` for another month), ``/api/indicateurs`` (the same
figures as JSON), ``/opendata/lieux.json`` (the places in the national schema).
"""

import json
import re
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from services.reporting import fr, indicators, opendata, queries
from services.reporting.indicators import Facts, Indicators, per_100
from services.reporting.model import Period
from services.reporting.pages import ENV
from services.reporting.report import key_figures
from services.reporting.settings import ReportingSettings
from shared.httpserver import OpsServer, Response

HTML = "text/html; charset=utf-8"
JSON = "application/json; charset=utf-8"
MONTH = re.compile(r"^(\d{4})-(\d{2})$")
CARDS = ("people", "people_first_time", "visits", "sessions_held", "accompaniments", "accompaniment_hours",
         "attendance_rate", "no_show_rate", "walk_ins", "seniors", "young", "loans_started")


@dataclass(frozen=True)
class SiteLine:
    slug: str
    name: str
    commune: str
    figures: Indicators
    sync: str  # French, e.g. "À jour"
    sync_class: str  # ok | retard | inconnu
    x: float  # position on the little map (viewBox 100 × 70)
    y: float
    label_left: bool = False  # near the right edge, or a neighbour to the right would hide the label


def sync_state(row: dict[str, Any] | None, now: datetime) -> tuple[str, str]:
    """The multi-site work fills ``reporting_site_status``; until then every site reads "non suivi"."""
    if row is None:
        return "Non suivi", "inconnu"
    pending, seen = row.get("pending") or 0, row.get("last_seen_at")
    age = f", vu il y a {int((now.timestamp() - seen) // 60)} min" if seen else ""
    if row.get("state") == "ok" and not pending:
        return f"À jour{age}", "ok"
    return f"En retard : {fr.number(pending)} événement(s) en attente{age}", "retard"


def month_of(query: dict[str, str], today: date) -> Period:
    raw = query.get("mois", "")
    if not raw:
        return Period.month(today.year, today.month)
    match = MONTH.match(raw)
    if not match or not 1 <= int(match[2]) <= 12:
        raise ValueError(f"mois invalide : {raw!r} (attendu AAAA-MM)")
    return Period.month(int(match[1]), int(match[2]))


def _map_positions(settings: ReportingSettings) -> dict[str, tuple[float, float]]:
    points = {s.slug: (float(s.details.get("longitude", 0)), float(s.details.get("latitude", 0)))
              for s in settings.network.sites}
    if not points:
        return {}
    xs, ys = [p[0] for p in points.values()], [p[1] for p in points.values()]
    span_x, span_y = (max(xs) - min(xs)) or 1, (max(ys) - min(ys)) or 1
    return {slug: (8 + 84 * (x - min(xs)) / span_x, 8 + 56 * (max(ys) - y) / span_y)
            for slug, (x, y) in points.items()}


def view(facts: Facts, period: Period, settings: ReportingSettings, status: dict[str, dict[str, Any]],
         now: datetime) -> dict[str, Any]:
    options = settings.options(now)
    territory, network = settings.territory, settings.network
    figures = indicators.compute(facts, period, territory, None, options)
    slugs = [s.slug for s in network.sites] + sorted({s.site for s in facts.sessions} - {s.slug for s in network.sites})
    per_site = indicators.by_site(facts, period, territory, slugs, options)
    positions = _map_positions(settings)
    sites = []
    for slug in slugs:
        site = network.site(slug)
        sync, css = sync_state(status.get(slug), now)
        x, y = positions.get(slug, (50.0, 50.0))
        sites.append(SiteLine(slug, network.site_name(slug), site.commune if site else "—", per_site[slug], sync, css,
                              x, y))
    sites = [_place_label(s, sites) for s in sites]
    communes = sorted(figures.communes.items(), key=lambda kv: (-kv[1], territory.name(kv[0])))
    commune_rows = [(territory.name(code), code, people, per_100(people, territory.communes[code].population)
                     if code in territory.communes else None, fr.AREA[territory.classify(code)])
                    for code, people in communes]
    cards = {fid: (label, value) for fid, label, value in key_figures(figures)}
    return {
        "title": network.name, "period": period, "month": fr.month(period), "figures": figures,
        "cards": [(fid, *cards[fid]) for fid in CARDS], "sites": sites,
        "max_site": max([s.figures.people for s in sites] + [1]), "communes": commune_rows,
        "max_commune": max([c[2] for c in commune_rows] + [1]),
        "ages": [(fr.AGE[b], figures.age_brackets.get(b, 0)) for b in indicators.AGE_BRACKETS],
        "areas": [(fr.AREA[k], figures.areas.get(k, 0)) for k in fr.AREA],
        "previous": _shift(period, -1), "next": _shift(period, 1),
        "updated": now.astimezone(settings.zone).strftime("%d/%m/%Y %H:%M"),
    }


def _place_label(site: SiteLine, sites: list[SiteLine]) -> SiteLine:
    crowded = any(0 < o.x - site.x < 30 and abs(o.y - site.y) < 6 for o in sites)
    return replace(site, label_left=site.x > 65 or crowded)


def _shift(period: Period, months: int) -> str:
    index = period.start.year * 12 + period.start.month - 1 + months
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def figures_json(figures: Indicators) -> dict[str, Any]:
    data = asdict(figures)
    data["period"] = {"from": figures.period.first, "to": figures.period.last}
    for name in ("attendance_rate", "no_show_rate", "waitlist_pressure", "utilisation", "young", "seniors"):
        data[name] = getattr(figures, name)
    return data


class DashboardServer:
    def __init__(self, engine: AsyncEngine, settings: ReportingSettings,
                 now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.engine, self.settings, self.now = engine, settings, now
        self.http = OpsServer(settings.dashboard_host, settings.dashboard_port, routes={
            "/": self.page, "/tableau-de-bord": self.page, "/api/indicateurs": self.api,
            "/opendata/lieux.json": self.lieux,
        })

    @property
    def url(self) -> str:
        return self.http.url

    async def start(self) -> None:
        await self.http.start()

    async def stop(self) -> None:
        await self.http.stop()

    async def _load(self, query: dict[str, str]) -> tuple[Period, Facts, dict[str, dict[str, Any]]]:
        period = month_of(query, self.now().astimezone(self.settings.zone).date())
        async with self.engine.connect() as conn:
            return period, await queries.load_facts(conn, period), await queries.load_site_status(conn)

    async def page(self, query: dict[str, str]) -> Response:
        try:
            period, facts, status = await self._load(query)
        except ValueError as exc:
            return 400, "text/plain; charset=utf-8", f"{exc}\n".encode()
        html = ENV.get_template("dashboard.html.j2").render(**view(facts, period, self.settings, status, self.now()))
        return 200, HTML, html.encode()

    async def api(self, query: dict[str, str]) -> Response:
        try:
            period, facts, _status = await self._load(query)
        except ValueError as exc:
            return 400, JSON, json.dumps({"erreur": str(exc)}).encode()
        territory, options = self.settings.territory, self.settings.options(self.now())
        body = {"reseau": figures_json(indicators.compute(facts, period, territory, None, options)),
                "lieux": {s.slug: figures_json(indicators.compute(facts, period, territory, s.slug, options))
                          for s in self.settings.network.sites}}
        return 200, JSON, json.dumps(body, ensure_ascii=False).encode()

    async def lieux(self, query: dict[str, str]) -> Response:
        today = self.now().astimezone(self.settings.zone).date()
        period = Period(date(today.year, 1, 1), today)
        async with self.engine.connect() as conn:
            facts = await queries.load_facts(conn, period)
            last = {s.slug: await queries.last_activity_day(conn, s.slug) for s in self.settings.network.sites}
        data = opendata.build(facts, period, self.settings.network, self.settings.territory,
                              self.settings.suppression_threshold, last, today)
        return 200, JSON, json.dumps(data.lieux, ensure_ascii=False, indent=2).encode()
