"""The Jinja environment of the dashboard and the HTML report (autoescaped, French number filters)."""

from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from services.reporting import fr

TEMPLATES = Path(__file__).parent / "templates"
ENV = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html", "j2"]))
ENV.filters.update(number=fr.number, percent=fr.percent, hours=fr.hours)
