"""Writing a report: print-ready HTML (inline SVG charts) or PDF (matplotlib pages).

The PDF's ``Keywords`` carry the main totals (``people=…;visits=…``) so a machine can check a sent
report against the read models without parsing its pages.
"""

import textwrap
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.backends.backend_pdf import PdfPages
from matplotlib.figure import Figure
from matplotlib.table import Table

from services.reporting import charts, fr
from services.reporting.pages import ENV
from services.reporting.report import Report, key_figures

A4 = (8.27, 11.69)
TOTALS = ("people", "people_first_time", "visits", "sessions_held", "workshop_attendances", "walk_ins",
          "accompaniments", "no_shows", "booked_seats", "accompaniment_minutes", "loans_started")


def chart_figures(r: Report) -> list[tuple[str, Figure]]:
    out = [("monthly", charts.monthly(r.months))] if len(r.months) > 1 else []
    if len(r.sites) > 1:
        out.append(("sites", charts.per_site(r.sites, r.site_names)))
    out += [("ages", charts.ages(r.figures)), ("areas", charts.areas(r.figures))]
    shown = [(c.name, c.people) for c in r.communes if c.people][:10]
    if shown:
        out.append(("communes", charts.communes(shown)))
    if r.figures.themes:
        out.append(("themes", charts.themes(r.figures)))
    return out


def totals(r: Report) -> str:
    return ";".join(f"{name}={getattr(r.figures, name)}" for name in TOTALS)


def write_html(r: Report, path: Path) -> None:
    figures = [(name, charts.svg(fig)) for name, fig in chart_figures(r)]
    page = ENV.get_template("report.html.j2").render(
        r=r, key_figures=key_figures(r.figures), charts=figures, period=fr.period(r.period),
        generated=fr.day(r.generated_at.date()), totals=totals(r), month_label=fr.month,
    )
    path.write_text(page, encoding="utf-8")


def write_pdf(r: Report, path: Path) -> None:
    metadata = {"Title": f"{r.title} — {fr.period(r.period)}", "Author": r.network_name,
                "Subject": "Indicateurs Fabriques de territoires", "Keywords": totals(r), "Creator": "Maillage"}
    with PdfPages(path, metadata=metadata) as pdf:
        pdf.savefig(_cover(r))
        pdf.savefig(_tables(r))
        for _name, fig in chart_figures(r):
            pdf.savefig(fig)


def _cover(r: Report) -> Figure:
    fig = Figure(figsize=A4)
    fig.text(0.07, 0.95, r.title, fontsize=18, fontweight="bold", va="top")
    subtitle = textwrap.wrap(f"{r.network_name} — {fr.period(r.period)}", 95)
    fig.text(0.07, 0.915, "\n".join(subtitle), fontsize=10, va="top", color="#444")
    y = 0.885 - 0.018 * len(subtitle)
    for paragraph in r.summary:
        lines = textwrap.wrap(paragraph, 100)
        fig.text(0.07, y, "\n".join(lines), fontsize=9, va="top", linespacing=1.5)
        y -= 0.022 * len(lines) + 0.012
    ax = fig.add_axes((0.07, 0.05, 0.86, y - 0.08))
    ax.axis("off")
    rows = [[label, value] for _id, label, value in key_figures(r.figures)]
    _table(ax, rows, ["Indicateur", "Valeur"], [0.75, 0.25], text_columns=1, font=8.5)
    fig.text(0.07, 0.02, f"Produit le {fr.day(r.generated_at.date())} depuis le journal d'événements de Maillage.",
             fontsize=7, color="#666")
    return fig


def _tables(r: Report) -> Figure:
    fig = Figure(figsize=A4)
    fig.text(0.07, 0.96, "Par lieu", fontsize=13, fontweight="bold", va="top")
    site_rows = [[r.site_names.get(s, s), fr.number(f.people), fr.number(f.visits), fr.number(f.sessions_held),
                  fr.number(f.accompaniments), fr.hours(f.accompaniment_minutes), fr.percent(f.attendance_rate)]
                 for s, f in r.sites.items()]
    top = fig.add_axes((0.07, 0.6, 0.86, 0.33))
    top.axis("off")
    _table(top, site_rows, ["Lieu", "Personnes", "Visites", "Séances", "Accomp.", "Heures", "Présence"],
           [0.37, 0.1, 0.09, 0.09, 0.09, 0.12, 0.14])
    fig.text(0.07, 0.57, f"Par commune (effectifs inférieurs à {r.threshold} masqués)", fontsize=13,
             fontweight="bold", va="top")
    commune_rows = [[c.name, c.area, "< " + str(r.threshold) if c.people is None else fr.number(c.people),
                     "—" if c.per_100 is None else fr.number(c.per_100, 3)] for c in r.communes[:25]]
    bottom = fig.add_axes((0.07, 0.04, 0.86, 0.5))
    bottom.axis("off")
    _table(bottom, commune_rows, ["Commune", "Type", "Personnes", "Pour 100 hab."], [0.36, 0.3, 0.14, 0.2],
           text_columns=2)
    return fig


def _table(ax: Axes, rows: list[list[str]], header: list[str], widths: list[float], text_columns: int = 1,
           font: float = 8) -> None:
    if not rows:
        ax.text(0, 1, "Aucune donnée sur la période.", fontsize=9, va="top")
        return
    table = Table(ax, loc="upper left")
    height = min(0.055, 1 / (len(rows) + 1))
    for i, row in enumerate([header, *rows]):
        for j, text in enumerate(row):
            cell = table.add_cell(i, j, widths[j], height, text=text, loc="left" if j < text_columns else "right")
            cell.set_facecolor("#f0f0f0" if i == 0 else "white")
    table.auto_set_font_size(False)
    table.set_fontsize(font)
    ax.add_table(table)
