"""The right of access and portability: one JSON file (machine-readable) and one HTML page (to read)
with everything this node holds about one person, and nothing about anyone else."""

import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from services.privacy.export_queries import LABELS, SERVICES, Rows, held_by
from shared.settings import NodeSettings

SERVICE_TITLES = {
    "notifications": "Annuaire et messages",
    "booking": "Réservations d'ateliers",
    "inventory": "Prêts de matériel",
    "reporting": "Statistiques (données pseudonymes)",
    "privacy": "Protection des données",
}
TIME_COLUMNS = ("_at", "changed_at", "listed_at", "expires_at", "processed_at")


@dataclass(frozen=True)
class Bundle:
    citizen_id: str
    node: str
    generated_at: datetime
    services: dict[str, dict[str, Rows]]  # service → table → rows

    def as_json(self) -> dict[str, Any]:
        return {
            "personne": self.citizen_id, "noeud": self.node, "produit_le": self.generated_at.isoformat(),
            "services": {name: {table: [readable(r) for r in rows] for table, rows in tables.items()}
                         for name, tables in self.services.items()},
        }

    @property
    def count(self) -> int:
        return sum(len(rows) for tables in self.services.values() for rows in tables.values())


def readable(row: dict[str, Any]) -> dict[str, Any]:
    """Times as ISO dates (they are POSIX seconds in the tables), everything else as stored."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, float) and (key.endswith(TIME_COLUMNS) or key in ("at", "starts_at", "ends_at")):
            out[key] = datetime.fromtimestamp(value, UTC).isoformat()
        elif isinstance(value, date | datetime):
            out[key] = value.isoformat()
        else:
            out[key] = value
    return out


async def assemble(settings: NodeSettings, citizen_id: str, now: datetime) -> Bundle:
    found: dict[str, dict[str, Rows]] = {}
    for service in SERVICES:
        held = await held_by(settings, service, citizen_id)
        if held is not None:
            found[service] = held
    return Bundle(citizen_id, settings.site, now, found)


def render_html(bundle: Bundle) -> str:
    env = Environment(loader=PackageLoader("services.privacy", "templates"), autoescape=select_autoescape(["j2"]))
    data = bundle.as_json()
    sections = [
        (SERVICE_TITLES.get(name, name), [(LABELS.get(t, t), rows) for t, rows in tables.items()])
        for name, tables in data["services"].items()
    ]
    return env.get_template("export.html.j2").render(bundle=data, sections=sections)


def write(bundle: Bundle, folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    stem = f"donnees-{bundle.citizen_id}-{bundle.generated_at:%Y%m%d-%H%M%S}"
    json_path, html_path = folder / f"{stem}.json", folder / f"{stem}.html"
    json_path.write_text(json.dumps(bundle.as_json(), ensure_ascii=False, indent=2, default=str) + "\n")
    html_path.write_text(render_html(bundle))
    for path in (json_path, html_path):
        path.chmod(0o600)  # personal data: readable by whoever made it, for the person
    return json_path, html_path
