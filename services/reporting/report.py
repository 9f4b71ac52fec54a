"""The period report a coordinator sends to the State and the Agglo: figures, charts, a French summary.

``produce`` loads the read models, builds a ``Report`` and writes it as PDF or print-ready HTML
(render.py), chosen by the file's suffix. Commune figures leave the building suppressed below the
threshold, like open data; totals are exact.
"""

from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy.ext.asyncio import AsyncEngine

from services.reporting import fr, indicators, queries
from services.reporting.indicators import Facts, Indicators, per_100
from services.reporting.model import Period
from services.reporting.opendata import suppress
from services.reporting.settings import ReportingSettings

FORMATS = (".pdf", ".html")


@dataclass(frozen=True)
class CommuneRow:
    name: str
    insee: str
    area: str
    people: int | None  # None: suppressed
    per_100: float | None


@dataclass
class Report:
    title: str
    network_name: str
    period: Period
    site: str | None
    figures: Indicators
    sites: dict[str, Indicators]
    site_names: dict[str, str]
    months: list[Indicators]
    communes: list[CommuneRow]
    threshold: int
    generated_at: datetime
    summary: list[str] = field(default_factory=list)


def build(facts: Facts, period: Period, settings: ReportingSettings, now: datetime, site: str | None = None) -> Report:
    network, territory = settings.network, settings.territory
    options = settings.options(now)
    slugs = [s.slug for s in network.sites if site in (None, s.slug)]
    figures = indicators.compute(facts, period, territory, site, options)
    report = Report(
        title="Bilan d'activité" + (f" — {network.site_name(site)}" if site else " du réseau"),
        network_name=network.name, period=period, site=site, figures=figures,
        sites=indicators.by_site(facts, period, territory, slugs, options),
        site_names={s.slug: s.name for s in network.sites},
        months=indicators.series(facts, period, territory, "month", site, options),
        communes=commune_rows(figures, settings), threshold=settings.suppression_threshold,
        generated_at=now,
    )
    report.summary = summary(report)
    return report


def commune_rows(figures: Indicators, settings: ReportingSettings) -> list[CommuneRow]:
    territory = settings.territory
    shown = suppress(figures.communes, settings.suppression_threshold)
    rows = []
    for code, people in shown.items():
        commune = territory.communes.get(code)
        ratio = per_100(people, commune.population) if commune and people is not None else None
        rows.append(CommuneRow(territory.name(code), code, fr.AREA[territory.classify(code)], people, ratio))
    return sorted(rows, key=lambda r: (-(r.people if r.people is not None else 0.5), r.name))


def key_figures(f: Indicators) -> list[tuple[str, str, str]]:
    """(id, French label, value) — ids are what tests and the dashboard's DOM use."""
    return [
        ("people", "Personnes accompagnées (distinctes)", fr.number(f.people)),
        ("people_first_time", "… dont venues pour la première fois", fr.number(f.people_first_time)),
        ("people_returning", "… dont déjà venues avant la période", fr.number(f.people_returning)),
        ("visits", "Visites (présences en atelier + accompagnements)", fr.number(f.visits)),
        ("sessions_held", "Séances d'ateliers tenues", fr.number(f.sessions_held)),
        ("workshop_attendances", "Présences en atelier", fr.number(f.workshop_attendances)),
        ("walk_ins", "… dont venues sans réservation", fr.number(f.walk_ins)),
        ("accompaniments", "Accompagnements individuels", fr.number(f.accompaniments)),
        ("accompaniment_hours", "Heures d'accompagnement (médiateurs)", fr.hours(f.accompaniment_minutes)),
        ("person_hours", "Heures-personnes", fr.hours(f.person_minutes)),
        ("attendance_rate", "Taux de présence (réservations honorées)", fr.percent(f.attendance_rate)),
        ("no_show_rate", "Taux d'absence (réservé, non venu)", fr.percent(f.no_show_rate)),
        ("cancellations", "Réservations annulées", fr.number(f.cancellations)),
        ("waitlist_pressure", "Pression sur les listes d'attente", fr.percent(f.waitlist_pressure)),
        ("young", "Jeunes (moins de 25 ans)", fr.number(f.young)),
        ("seniors", "Seniors (60 ans et plus)", fr.number(f.seniors)),
        ("rural", "Habitants de communes rurales", fr.number(f.areas.get("rural", 0))),
        ("urban", "Habitants de communes urbaines", fr.number(f.areas.get("urbain", 0))),
        ("loans_started", "Prêts de matériel", fr.number(f.loans_started)),
        ("utilisation", "Taux d'utilisation du matériel", fr.percent(f.utilisation)),
        ("grant_assets_in_service", "Matériel financé par la subvention, en service",
         fr.number(f.grant_assets_in_service)),
    ]


def _n(count: int, one: str, many: str) -> str:
    return f"{fr.number(count)} {one if count < 2 else many}"


def summary(r: Report) -> list[str]:
    """A few French sentences a coordinator can paste into a letter."""
    f, who = r.figures, (r.site_names.get(r.site, r.site) if r.site else "le réseau")
    people, first = _n(f.people, "personne", "personnes"), fr.number(f.people_first_time)
    seats, sessions = _n(f.workshop_attendances, "présence", "présences"), _n(f.sessions_held, "atelier", "ateliers")
    individual = _n(f.accompaniments, "accompagnement individuel", "accompagnements individuels")
    absent, booked = _n(f.no_shows, "absence", "absences"), _n(f.booked_seats, "place réservée", "places réservées")
    walk_ins = _n(f.walk_ins, "personne est venue", "personnes sont venues")
    seniors, rural = _n(f.seniors, "personne avait", "personnes avaient"), f.areas.get("rural", 0)
    text = [
        f"Sur la période ({fr.period(r.period)}), {who} a accompagné {people} différentes, dont {first} venues pour"
        f" la première fois. Elles sont venues {fr.number(f.visits)} fois : {seats} dans {sessions} et {individual},"
        f" soit {fr.hours(f.accompaniment_minutes)} d'accompagnement.",
        f"Les réservations ont été honorées à {fr.percent(f.attendance_rate)} ({absent} sur {booked}) ; {walk_ins}"
        " sans réservation. Annulations et absences ne sont jamais comptées comme des visites.",
        f"{seniors} 60 ans ou plus et {fr.number(f.young)} moins de 25 ans. "
        f"{_n(rural, 'personne habite', 'personnes habitent')} une commune rurale du territoire, "
        f"{fr.number(f.areas.get('urbain', 0))} une commune urbaine.",
    ]
    if len(r.sites) > 1 and any(s.people for s in r.sites.values()):
        best = max(r.sites, key=lambda s: (r.sites[s].people, s))
        text.append(f"Le lieu le plus fréquenté est {r.site_names.get(best, best)} "
                    f"({_n(r.sites[best].people, 'personne', 'personnes')}).")
    if f.loans_started or f.assets_in_service:
        loans, borrowers = _n(f.loans_started, "prêt", "prêts"), _n(f.borrowers, "emprunteur", "emprunteurs")
        text.append(f"Matériel : {loans} ({borrowers}), taux d'utilisation {fr.percent(f.utilisation)} ; "
                    f"{fr.number(f.grant_assets_in_service)} équipement(s) financé(s) par la subvention en service.")
    return text


async def produce(engine: AsyncEngine, settings: ReportingSettings, period: Period, out: Path, now: datetime,
                  site: str | None = None) -> Report:
    from services.reporting import render

    if out.suffix.lower() not in FORMATS:
        raise ValueError(f"format non pris en charge : {out.suffix or '(aucun)'} (attendu : .pdf ou .html)")
    async with engine.connect() as conn:
        facts = await queries.load_facts(conn, period)
    report = build(facts, period, settings, now, site)
    out.parent.mkdir(parents=True, exist_ok=True)
    (render.write_pdf if out.suffix.lower() == ".pdf" else render.write_html)(report, out)
    return report
