"""The period report: a French summary, tables and charts whose totals are the indicators'."""

import re
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

import pytest

from services.reporting import render, report
from services.reporting.indicators import Facts
from services.reporting.model import Period
from services.reporting.settings import ReportingSettings
from tests.support.reporting import URBAN, facts_from, project, scripted_month

NOW = datetime(2026, 12, 5, 9, 0, tzinfo=UTC)


class Figures(HTMLParser):
    """``data-figure`` cells of the network table and the ``data-chart`` figures of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.figures: dict[str, str] = {}
        self.charts: list[str] = []
        self._open: str | None = None
        self._in_row = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tr" and "data-site" in a:
            self._in_row = True
        if "data-figure" in a and not self._in_row:
            self._open = a["data-figure"]
        if "data-chart" in a:
            self.charts.append(a["data-chart"] or "")

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._in_row = False

    def handle_data(self, data: str) -> None:
        if self._open:
            self.figures[self._open] = data.strip()
            self._open = None


@pytest.fixture(scope="module")
def built() -> report.Report:
    facts: Facts = facts_from(project(scripted_month().events))
    return report.build(facts, Period.month(2026, 11), ReportingSettings(urban_communes=URBAN), NOW)


def test_summary_in_french_says_what_was_counted(built: report.Report) -> None:
    first, attendance, publics, *rest = built.summary
    assert first.startswith("Sur la période (novembre 2026), le réseau a accompagné 10 personnes différentes, "
                            "dont 9 venues pour la première fois. Elles sont venues 13 fois : 9 présences dans "
                            "4 ateliers et 4 accompagnements individuels")
    assert "honorées à 66,7\u202f% (3 absences sur 9 places réservées)" in attendance
    assert "3 personnes sont venues sans réservation" in attendance
    assert publics.startswith("4 personnes avaient 60 ans ou plus et 3 moins de 25 ans.")
    assert any("Pôle numérique de Carcassonne (exemple) (5 personnes)" in line for line in rest)


def test_html_report_totals_and_charts(built: report.Report, tmp_path: Path) -> None:
    out = tmp_path / "bilan.html"
    render.write_html(built, out)
    page = Figures()
    page.feed(out.read_text(encoding="utf-8"))
    assert (page.figures["people"], page.figures["visits"], page.figures["sessions_held"]) == ("10", "13", "4")
    assert page.figures["attendance_rate"] == "66,7\u202f%" and page.figures["walk_ins"] == "3"
    assert page.charts == ["sites", "ages", "areas", "themes"]  # one month: no monthly chart; communes all < 5
    assert out.read_text(encoding="utf-8").count("<svg") == 4


def test_pdf_report_has_its_pages_charts_and_totals(built: report.Report, tmp_path: Path) -> None:
    out = tmp_path / "bilan.pdf"
    render.write_pdf(built, out)
    data = out.read_bytes()
    assert data.startswith(b"%PDF")
    charts = render.chart_figures(built)
    assert len(re.findall(rb"/Type /Page\b", data)) == 2 + len(charts) == 6
    keywords = re.search(rb"/Keywords \((.*?)\)", data)
    assert keywords is not None
    totals = dict(item.split("=") for item in keywords.group(1).decode().split(";"))
    assert totals == {"people": "10", "people_first_time": "9", "visits": "13", "sessions_held": "4",
                      "workshop_attendances": "9", "walk_ins": "3", "accompaniments": "4", "no_shows": "3",
                      "booked_seats": "9", "accompaniment_minutes": "705", "loans_started": "3"}


def test_a_site_report_and_a_year_report(tmp_path: Path) -> None:
    facts = facts_from(project(scripted_month().events))
    settings = ReportingSettings(urban_communes=URBAN)
    trebes = report.build(facts, Period.month(2026, 11), settings, NOW, site="trebes")
    assert trebes.title.endswith("Tiers-lieu de Trèbes (exemple)") and list(trebes.sites) == ["trebes"]
    assert (trebes.figures.people, trebes.figures.visits) == (3, 4)
    year = report.build(facts, Period.year(2026), settings, NOW)
    assert [m.visits for m in year.months][-3:] == [1, 13, 1]
    assert next(name for name, _fig in render.chart_figures(year)) == "monthly"
    render.write_html(year, tmp_path / "annee.html")
    page = (tmp_path / "annee.html").read_text(encoding="utf-8")
    assert page.count('<tr data-month="') == 12 and 'data-chart="monthly"' in page
