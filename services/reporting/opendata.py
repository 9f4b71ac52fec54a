"""Open data: the network's places in ANCT's national schema of digital-inclusion places
("lieux de médiation numérique", v2.3.0), and attendance figures per place and per commune.

Generated from live data: the catalogue (opening hours, services, booking link) plus what actually
happened (services and ways of helping seen in the period, last activity date). Every published
count below the threshold is suppressed, and one more cell when a single suppressed one could be
worked out from a published total, so nobody can be singled out in a small commune.
"""

import csv
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from services.reporting.catalogue import Network, Site, Territory
from services.reporting.indicators import Facts, Indicators, compute
from services.reporting.model import Period

FIELDS = [
    "id", "pivot", "nom", "adresse", "commune", "code_postal", "code_insee", "complement_adresse", "latitude",
    "longitude", "typologie", "telephone", "courriels", "site_web", "horaires", "presentation_resume",
    "presentation_detail", "source", "structure_parente", "date_maj", "services", "publics_specifiquement_adresses",
    "prise_en_charge_specifique", "frais_a_charge", "itinerance", "modalites_acces", "modalites_accompagnement",
    "dispositif_programmes_nationaux", "formations_labels", "autres_formations_labels", "fiche_acces_libre",
    "prise_rdv",
]
REQUIRED = ("id", "pivot", "nom", "adresse", "commune", "code_postal", "source", "date_maj", "services")
ENUMS: dict[str, set[str]] = {
    "services": {
        "Acquisition de matériel informatique à prix solidaire", "Aide aux démarches administratives",
        "Maîtrise des outils numériques du quotidien", "Insertion professionnelle via le numérique",
        "Utilisation sécurisée du numérique", "Parentalité et éducation avec le numérique",
        "Loisirs et créations numériques", "Compréhension du monde numérique",
        "Accès internet et matériel informatique",
    },
    "typologie": {"TIERS_LIEUX", "FABRIQUE", "FABLAB", "EPN", "BIB", "MDS", "PIMMS"},
    "frais_a_charge": {"Gratuit", "Gratuit sous condition", "Payant"},
    "itinerance": {"Itinérant", "Fixe"},
    "modalites_acces": {
        "Se présenter", "Téléphoner", "Contacter par mail", "Envoyer un mail avec une fiche de prescription",
        "Prendre un RDV en ligne", "Ce lieu n'accueille pas de public",
    },
    "modalites_accompagnement": {"En autonomie", "Accompagnement individuel", "Dans un atelier collectif",
                                 "À distance"},
    "publics_specifiquement_adresses": {"Jeunes", "Étudiants", "Familles et/ou enfants", "Seniors", "Femmes"},
    "prise_en_charge_specifique": {
        "Surdité", "Handicaps moteurs", "Handicaps mentaux", "Illettrisme", "Langues étrangères (anglais)",
        "Langues étrangères (autres)", "Déficience visuelle",
    },
}
FABRIQUE_LABEL = "Fabriques de Territoire"
# What a national theme seen in the period says about the services a place offers.
THEME_SERVICES = {
    "aide_aux_demarches_administratives": "Aide aux démarches administratives",
    "securite_numerique": "Utilisation sécurisée du numérique",
    "parentalite": "Parentalité et éducation avec le numérique",
    "scolarite_et_numerique": "Parentalité et éducation avec le numérique",
    "creer_avec_le_numerique": "Loisirs et créations numériques",
    "culture_numerique": "Compréhension du monde numérique",
    "intelligence_artificielle": "Compréhension du monde numérique",
    "insertion_professionnelle": "Insertion professionnelle via le numérique",
    "entrepreneuriat": "Insertion professionnelle via le numérique",
}
DAILY_SERVICE = "Maîtrise des outils numériques du quotidien"


def _join(values: list[str] | set[str]) -> str:
    return "|".join(sorted(values)) if isinstance(values, set) else "|".join(values)


def _live_services(site: Site, figures: Indicators) -> set[str]:
    seen = {THEME_SERVICES.get(theme, DAILY_SERVICE) for theme in figures.themes}
    return set(site.details.get("services", [])) | seen


def _live_modalities(site: Site, figures: Indicators) -> set[str]:
    modalities = set(site.details.get("modalites_accompagnement", []))
    if figures.sessions_held:
        modalities.add("Dans un atelier collectif")
    if figures.accompaniments:
        modalities.add("Accompagnement individuel")
    return modalities


def lieu(site: Site, network: Network, figures: Indicators, last_activity: str | None, as_of: date) -> dict[str, Any]:
    d = site.details
    labels = list(dict.fromkeys([*d.get("formations_labels", []), FABRIQUE_LABEL]))
    return {
        "id": f"{network.source}-{site.slug}", "pivot": network.pivot, "nom": site.name,
        "adresse": d.get("adresse", ""), "commune": site.commune, "code_postal": site.postal_code,
        "code_insee": site.insee, "complement_adresse": d.get("complement_adresse", ""),
        "latitude": d.get("latitude"), "longitude": d.get("longitude"), "typologie": _join(d.get("typologie", [])),
        "telephone": d.get("telephone", ""), "courriels": _join(d.get("courriels", [])),
        "site_web": d.get("site_web", ""), "horaires": d.get("horaires", ""),
        "presentation_resume": d.get("presentation_resume", ""),
        "presentation_detail": d.get("presentation_detail", ""), "source": network.source,
        "structure_parente": network.parent, "date_maj": last_activity or as_of.isoformat(),
        "services": _join(_live_services(site, figures)),
        "publics_specifiquement_adresses": _join(d.get("publics_specifiquement_adresses", [])),
        "prise_en_charge_specifique": _join(d.get("prise_en_charge_specifique", [])),
        "frais_a_charge": _join(d.get("frais_a_charge", [])), "itinerance": _join(d.get("itinerance", [])),
        "modalites_acces": _join(d.get("modalites_acces", [])),
        "modalites_accompagnement": _join(_live_modalities(site, figures)),
        "dispositif_programmes_nationaux": _join(d.get("dispositif_programmes_nationaux", [])),
        "formations_labels": _join(labels), "autres_formations_labels": _join(d.get("autres_formations_labels", [])),
        "fiche_acces_libre": d.get("fiche_acces_libre", ""),
        "prise_rdv": network.booking_url.format(slug=site.slug),
    }


def is_siret(value: str) -> bool:
    if len(value) != 14 or not value.isdigit():
        return False
    digits = [int(c) * (2 if i % 2 else 1) for i, c in enumerate(reversed(value))]
    return sum(d - 9 if d > 9 else d for d in digits) % 10 == 0


def validate_lieu(record: Mapping[str, Any]) -> list[str]:
    """Problems against the national field list and values (empty list: valid)."""
    problems = [f"champ manquant : {f}" for f in FIELDS if f not in record]
    problems += [f"champ inconnu du schéma : {f}" for f in record if f not in FIELDS]
    problems += [f"champ obligatoire vide : {f}" for f in REQUIRED if not record.get(f)]
    pivot = str(record.get("pivot", ""))
    if not (is_siret(pivot) or (pivot.startswith("W") and len(pivot) == 10 and pivot[1:].isdigit())):
        problems.append(f"pivot : ni SIRET ni RNA valide ({pivot!r})")
    try:
        date.fromisoformat(str(record.get("date_maj", "")))
    except ValueError:
        problems.append("date_maj : date ISO attendue")
    if FABRIQUE_LABEL not in str(record.get("formations_labels", "")).split("|"):
        problems.append(f"formations_labels : le label « {FABRIQUE_LABEL} » manque")
    for field, allowed in ENUMS.items():
        bad = [v for v in str(record.get(field) or "").split("|") if v and v not in allowed]
        problems += [f"{field} : valeur non reconnue {v!r}" for v in bad]
    return problems


def suppress(counts: Mapping[str, int], threshold: int) -> dict[str, int | None]:
    """None for 1..threshold-1 (zero says nobody came: it singles nobody out); if exactly one cell is
    hidden, the smallest other non-zero cell is hidden too, or the total would give it away."""
    out: dict[str, int | None] = {k: (None if 0 < n < threshold else n) for k, n in counts.items()}
    hidden = [k for k, n in out.items() if n is None]
    if len(hidden) == 1:
        shown = sorted((n, k) for k, n in out.items() if n)
        if shown:
            out[shown[0][1]] = None
    return out


@dataclass(frozen=True)
class OpenData:
    lieux: list[dict[str, Any]]
    communes: list[dict[str, Any]]
    sites: list[dict[str, Any]]


def build(facts: Facts, period: Period, network: Network, territory: Territory, threshold: int,
          last_activity: Mapping[str, str | None], as_of: date) -> OpenData:
    per_site = {s.slug: compute(facts, period, territory, s.slug) for s in network.sites}
    lieux = [lieu(s, network, per_site[s.slug], last_activity.get(s.slug), as_of) for s in network.sites]
    network_figures = compute(facts, period, territory)
    counts = {code: network_figures.communes.get(code, 0) for code in territory.communes}
    counts["hors_territoire"] = sum(n for c, n in network_figures.communes.items() if c and c not in counts)
    counts["non_communique"] = network_figures.communes.get("", 0)
    shown = suppress(counts, threshold)
    communes = [_commune_row(code, shown[code], territory, period) for code in counts]
    people = suppress({s: f.people for s, f in per_site.items()}, threshold)
    sites = [{"id": f"{network.source}-{slug}", "nom": network.site_name(slug), "periode_debut": period.first,
              "periode_fin": period.last, "personnes_accompagnees": people[slug],
              "seances_collectives": f.sessions_held, "accompagnements_individuels": f.accompaniments}
             for slug, f in per_site.items()]
    return OpenData(lieux, communes, sites)


def _commune_row(code: str, people: int | None, territory: Territory, period: Period) -> dict[str, Any]:
    commune = territory.communes.get(code)
    ratio = None if people is None or commune is None else round(100 * people / commune.population, 3)
    return {"code_insee": code if commune else "", "commune": commune.name if commune else code,
            "population_municipale": commune.population if commune else None,
            "type_commune": territory.classify(code) if commune else code, "periode_debut": period.first,
            "periode_fin": period.last, "personnes_accompagnees": people, "pour_100_habitants": ratio}


def write(data: OpenData, out: Path) -> list[Path]:
    out.mkdir(parents=True, exist_ok=True)
    files = [out / "lieux-mediation-numerique.json", out / "lieux-mediation-numerique.csv",
             out / "frequentation-communes.csv", out / "frequentation-lieux.csv"]
    files[0].write_text(json.dumps(data.lieux, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    for path, rows in zip(files[1:], (data.lieux, data.communes, data.sites), strict=True):
        with path.open("w", encoding="utf-8", newline="") as f:
            writer = csv.DictWriter(f, fieldnames=list(rows[0]) if rows else FIELDS)
            writer.writeheader()
            writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)
    return files
