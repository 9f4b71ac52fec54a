"""The report's charts (matplotlib, no pyplot: figures are plain objects, safe off the main thread)."""

import io

from matplotlib import rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from services.reporting import fr
from services.reporting.indicators import AGE_BRACKETS, SENIORS, YOUNG, Indicators

BLUE, ORANGE, GREEN, GREY = "#000091", "#e1000f", "#18753c", "#929292"


def _figure(title: str, height: float = 3.2) -> tuple[Figure, Axes]:
    fig = Figure(figsize=(7.5, height), layout="constrained")
    ax = fig.add_subplot()
    ax.set_title(title, loc="left", fontsize=11, fontweight="bold")
    ax.spines[["top", "right"]].set_visible(False)
    return fig, ax


def _barh(title: str, labels: list[str], values: list[float], colors: list[str] | str = BLUE) -> Figure:
    fig, ax = _figure(title, height=max(2.2, 0.32 * len(labels) + 1.0))
    bars = ax.barh(labels[::-1], values[::-1], color=colors[::-1] if isinstance(colors, list) else colors)
    ax.bar_label(bars, labels=[fr.number(v) for v in values[::-1]], padding=3, fontsize=8)
    ax.tick_params(labelsize=8)
    return fig


def monthly(months: list[Indicators]) -> Figure:
    fig, ax = _figure("Personnes accompagnées et visites, par mois")
    labels = [fr.MONTHS[m.period.start.month - 1][:4] + "." for m in months]
    xs = range(len(months))
    ax.bar([x - 0.2 for x in xs], [m.people for m in months], 0.4, label="Personnes", color=BLUE)
    ax.bar([x + 0.2 for x in xs], [m.visits for m in months], 0.4, label="Visites", color=ORANGE)
    ax.set_xticks(list(xs), labels, fontsize=8)
    ax.legend(fontsize=8, frameon=False)
    return fig


def per_site(figures: dict[str, Indicators], names: dict[str, str]) -> Figure:
    slugs = sorted(figures, key=lambda s: -figures[s].people)
    return _barh("Personnes accompagnées, par lieu", [names.get(s, s) for s in slugs],
                 [figures[s].people for s in slugs])


def ages(figures: Indicators) -> Figure:
    colors = [GREEN if b in YOUNG else ORANGE if b in SENIORS else BLUE for b in AGE_BRACKETS]
    return _barh("Âge des personnes (jeunes en vert, seniors en rouge)", [fr.AGE[b] for b in AGE_BRACKETS],
                 [figures.age_brackets.get(b, 0) for b in AGE_BRACKETS], colors)


def areas(figures: Indicators) -> Figure:
    keys = list(fr.AREA)
    return _barh("Personnes selon leur commune", [fr.AREA[k] for k in keys], [figures.areas.get(k, 0) for k in keys])


def communes(rows: list[tuple[str, int]]) -> Figure:
    return _barh("Communes les plus représentées (effectifs publiables)", [r[0] for r in rows], [r[1] for r in rows])


def themes(figures: Indicators) -> Figure:
    ranked = sorted(figures.themes.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
    return _barh("Thématiques des activités", [fr.THEME.get(k, k) for k, _ in ranked], [v for _, v in ranked])


def svg(fig: Figure) -> str:
    """Inline SVG with real text (searchable, printable), without the XML prologue."""
    buffer = io.StringIO()
    with rc_context({"svg.fonttype": "none"}):
        fig.savefig(buffer, format="svg")
    text = buffer.getvalue()
    return text[text.index("<svg"):]
