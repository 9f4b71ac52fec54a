"""Reference data the figures are read against: the territory's communes and the network's places.

``data/carcassonne-agglo-communes.csv`` is INSEE's list of the Agglo's 83 communes (see its README
in shared/data). ``data/sites.example.json`` is EXAMPLE DATA (addresses, phones, SIRET are made up):
a real deployment points ``MAILLAGE_SITES_CATALOGUE`` at its own file with the same shape.
"""

import csv
import json
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data"
COMMUNES_CSV = DATA / "carcassonne-agglo-communes.csv"
EXAMPLE_SITES = DATA / "sites.example.json"

URBAN, RURAL, OUTSIDE, UNKNOWN = "urbain", "rural", "hors_territoire", "non_communique"


@dataclass(frozen=True)
class Commune:
    insee: str
    name: str
    postal_codes: str
    population: int  # population municipale (INSEE), the legal reference for ratios


@dataclass(frozen=True)
class Territory:
    communes: dict[str, Commune]
    urban: frozenset[str]

    def classify(self, insee: str | None) -> str:
        """``urbain`` / ``rural`` for the territory's communes, otherwise outside or unknown."""
        if not insee:
            return UNKNOWN
        if insee not in self.communes:
            return OUTSIDE
        return URBAN if insee in self.urban else RURAL

    def name(self, insee: str | None) -> str:
        if not insee:
            return "Non communiquée"
        commune = self.communes.get(insee)
        return commune.name if commune else f"Hors territoire ({insee})"

    @property
    def population(self) -> int:
        return sum(c.population for c in self.communes.values())


@cache
def communes() -> dict[str, Commune]:
    with COMMUNES_CSV.open(encoding="utf-8") as f:
        return {
            row["code_insee"]: Commune(
                row["code_insee"], row["nom"], row["codes_postaux"], int(row["population_municipale"])
            )
            for row in csv.DictReader(f)
        }


def territory(urban_communes: list[str] | None = None, urban_min_population: int = 2000) -> Territory:
    """Rural/urban is configurable: an explicit list of INSEE codes, or a population threshold
    (2,000 inhabitants, INSEE's historical urban threshold) when no list is given."""
    known = communes()
    if urban_communes:
        urban = frozenset(urban_communes)
    else:
        urban = frozenset(code for code, c in known.items() if c.population >= urban_min_population)
    return Territory(known, urban)


@dataclass(frozen=True)
class Site:
    slug: str
    name: str
    commune: str
    insee: str
    postal_code: str
    details: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Network:
    name: str
    pivot: str
    parent: str
    source: str
    booking_url: str  # with ``{slug}``
    sites: tuple[Site, ...]

    def site(self, slug: str) -> Site | None:
        return next((s for s in self.sites if s.slug == slug), None)

    def site_name(self, slug: str) -> str:
        site = self.site(slug)
        return site.name if site else slug


def load_network(path: Path | None = None) -> Network:
    raw = json.loads((path or EXAMPLE_SITES).read_text(encoding="utf-8"))
    head = raw["reseau"]
    sites = tuple(
        Site(s["slug"], s["nom"], s["commune"], s["code_insee"], s["code_postal"], details=s) for s in raw["lieux"]
    )
    return Network(head["nom"], head["pivot"], head["structure_parente"], head["source"], head["prise_rdv"], sites)
