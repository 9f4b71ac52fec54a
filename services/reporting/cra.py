"""Activity records (CRA) in the national format of La Coop de la médiation numérique (ANCT).

Every individual accompaniment and every workshop session held becomes one record; a session's
anonymous counts (age band, status, gender, already accompanied) come from its check-ins, so staff
never re-type them. Column names and values are the national tool's own (REPORTING-REFERENCE.md);
multi-valued cells are ``|``-separated, booleans ``true``/``false``, days ISO.
"""

import csv
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from services.reporting.catalogue import Network, Territory
from services.reporting.indicators import Facts
from services.reporting.model import ATTENDED, Accompaniment, Period, Session
from shared.contract.national import (
    AdminTheme,
    AgeBracket,
    Autonomy,
    Equipment,
    Gender,
    Level,
    PlaceType,
    Redirection,
    SocialStatus,
    Theme,
)

AGE_COLUMNS = {
    "moins_de_douze": "trancheAgeMoinsDeDouze", "douze_dix_huit": "trancheAgeDouzeDixHuit",
    "dix_huit_vingt_quatre": "trancheAgeDixHuitVingtQuatre", "vingt_cinq_trente_neuf": "trancheAgeVingtCinqTrenteNeuf",
    "quarante_cinquante_neuf": "trancheAgeQuaranteCinquanteNeuf",
    "soixante_soixante_neuf": "trancheAgeSoixanteSoixanteNeuf", "soixante_dix_plus": "trancheAgeSoixanteDixPlus",
    "non_communique": "trancheAgeNonCommunique",
}
GENDER_COLUMNS = {"feminin": "genreFeminin", "masculin": "genreMasculin", "non_communique": "genreNonCommunique"}
STATUS_COLUMNS = {
    "scolarise": "statutSocialScolarise", "sans_emploi": "statutSocialSansEmploi",
    "en_emploi": "statutSocialEnEmploi", "retraite": "statutSocialRetraite",
    "non_communique": "statutSocialNonCommunique",
}
COUNT_COLUMNS = ["total", "dejaAccompagne", *GENDER_COLUMNS.values(), *AGE_COLUMNS.values(), *STATUS_COLUMNS.values()]
COLUMNS = [
    "id", "type", "date", "duree", "typeLieu", "structure", "lieuCodeInsee", "lieuCommune", "lieuCodePostal",
    "materiel", "thematiques", "thematiquesDemarche", "autonomie", "orienteVersStructure", "structureDeRedirection",
    "titreAtelier", "niveau", "premierAccompagnement", "genre", "trancheAge", "statutSocial", "commune",
    "communeCodeInsee", *COUNT_COLUMNS,
]
ENUMS: dict[str, set[str]] = {
    "type": {"individuel", "collectif"}, "typeLieu": set(PlaceType), "autonomie": set(Autonomy),
    "structureDeRedirection": set(Redirection), "niveau": set(Level), "genre": set(Gender),
    "trancheAge": set(AgeBracket), "statutSocial": set(SocialStatus),
    "orienteVersStructure": {"true", "false"}, "premierAccompagnement": {"true", "false"},
}
MULTI_ENUMS: dict[str, set[str]] = {"materiel": set(Equipment), "thematiques": set(Theme),
                                    "thematiquesDemarche": set(AdminTheme)}
ADMIN = Theme.aide_aux_demarches_administratives.value


def check_accompaniment(
    themes: Sequence[str], admin_themes: Sequence[str], equipment: Sequence[str], duration: int
) -> tuple[str, str] | None:
    """National rules the event schema does not express; a refused record is kept with its reason."""
    unknown = [t for t in themes if t not in MULTI_ENUMS["thematiques"]]
    if unknown or not themes:
        listed = ", ".join(unknown) or "(aucune)"
        return "unknown_theme", f"Thématique inconnue de la nomenclature nationale : {listed}."
    if admin_themes and ADMIN not in themes:
        return "admin_theme_without_parent", f"Sous-thématique de démarche sans la thématique {ADMIN}."
    if "aucun" in equipment and len(set(equipment)) > 1:
        return "equipment_conflict", "Matériel « aucun » déclaré avec un autre matériel."
    if duration < 1:
        return "bad_duration", "Durée nulle ou négative."
    return None


@dataclass(frozen=True)
class Place:
    name: str
    insee: str
    commune: str
    postal_code: str


def _place_of(network: Network, slug: str) -> Place:
    site = network.site(slug)
    if site is None:
        return Place(slug, "", "", "")
    return Place(site.name, site.insee, site.commune, site.postal_code)


def _b(flag: bool | None) -> str:
    return "" if flag is None else ("true" if flag else "false")


def individual(a: Accompaniment, network: Network, territory: Territory) -> dict[str, Any]:
    place = _place_of(network, a.site)
    where = {"lieu_activite": (place.insee, place.commune, place.postal_code)}.get(a.place_type)
    if a.place_type == "domicile" and a.person.commune_insee:
        where = (a.person.commune_insee, territory.name(a.person.commune_insee), "")
    insee, commune, postal = where or ("", "", "")
    return {
        "id": a.record_id, "type": "individuel", "date": a.day, "duree": a.duration_minutes,
        "typeLieu": a.place_type, "structure": place.name, "lieuCodeInsee": insee, "lieuCommune": commune,
        "lieuCodePostal": postal, "materiel": "|".join(a.equipment), "thematiques": "|".join(a.themes),
        "thematiquesDemarche": "|".join(a.admin_themes), "autonomie": a.autonomy or "",
        "orienteVersStructure": _b(a.redirected_to is not None), "structureDeRedirection": a.redirected_to or "",
        "premierAccompagnement": _b(a.first_time), "genre": a.person.gender, "trancheAge": a.person.age_bracket,
        "statutSocial": a.person.social_status,
        "commune": territory.name(a.person.commune_insee) if a.person.commune_insee else "",
        "communeCodeInsee": a.person.commune_insee or "",
    }


def collective(s: Session, facts: Facts, network: Network) -> dict[str, Any]:
    place = _place_of(network, s.site)
    came = [a for a in facts.attendance if a.workshop_id == s.workshop_id and a.status == ATTENDED]
    counts: Counter[str] = Counter()
    for seat in came:
        p = seat.person  # as the person was described at the session, like a médiateur would have noted
        counts[GENDER_COLUMNS[p.gender]] += 1
        counts[AGE_COLUMNS[p.age_bracket]] += 1
        counts[STATUS_COLUMNS[p.social_status]] += 1
        counts["dejaAccompagne"] += facts.first_visit.get(p.citizen_id, s.day) < s.day
    return {
        "id": s.workshop_id, "type": "collectif", "date": s.day, "duree": s.duration_minutes,
        "typeLieu": "lieu_activite", "structure": place.name, "lieuCodeInsee": place.insee,
        "lieuCommune": place.commune, "lieuCodePostal": place.postal_code, "materiel": "",
        "thematiques": "|".join(s.themes), "titreAtelier": s.title, "niveau": s.level,
        "total": len(came), **{c: counts.get(c, 0) for c in COUNT_COLUMNS[1:]},
    }


def records(facts: Facts, period: Period, network: Network, territory: Territory) -> list[dict[str, Any]]:
    """Every record of the period, in a stable order (day, then id), every column present."""
    rows = [individual(a, network, territory) for a in facts.accompaniments if period.contains(a.day)]
    rows += [collective(s, facts, network) for s in facts.sessions if period.contains(s.day)]
    rows.sort(key=lambda r: (r["date"], r["id"]))
    return [{c: row.get(c, "") for c in COLUMNS} for row in rows]


def validate_row(row: dict[str, Any]) -> list[str]:
    """Problems against the national enums (empty list: the row is valid)."""
    problems = [f"colonne manquante : {c}" for c in COLUMNS if c not in row]
    for column, allowed in ENUMS.items():
        value = str(row.get(column, ""))
        if value and value not in allowed:
            problems.append(f"{column} : valeur hors nomenclature {value!r}")
    for column, allowed in MULTI_ENUMS.items():
        bad = [v for v in str(row.get(column, "")).split("|") if v and v not in allowed]
        problems += [f"{column} : valeur hors nomenclature {v!r}" for v in bad]
    if not str(row.get("thematiques", "")):
        problems.append("thematiques : au moins une thématique")
    if not str(row.get("duree", "")).isdigit() or int(row["duree"]) < 1:
        problems.append("duree : nombre de minutes attendu")
    if row.get("type") == "collectif":
        problems += _check_counts(row)
    return problems


def _check_counts(row: dict[str, Any]) -> list[str]:
    total = int(row.get("total") or 0)
    problems = []
    for name, columns in (("genre", GENDER_COLUMNS), ("trancheAge", AGE_COLUMNS), ("statutSocial", STATUS_COLUMNS)):
        if sum(int(row.get(c) or 0) for c in columns.values()) != total:
            problems.append(f"{name} : la somme des effectifs ne fait pas le total ({total})")
    if not row.get("niveau"):
        problems.append("niveau : obligatoire pour un atelier collectif")
    return problems


def write_csv(rows: list[dict[str, Any]], path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)


def write_xlsx(rows: list[dict[str, Any]], path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook(write_only=True)
    sheet = book.create_sheet("CRA")
    sheet.append(COLUMNS)
    for row in rows:
        sheet.append([row[c] for c in COLUMNS])
    book.save(path)
