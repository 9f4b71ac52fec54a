"""Open data: the national schema of places, from live data, with small counts suppressed."""

import csv
import json
from datetime import date
from pathlib import Path

import pytest

from services.reporting import opendata
from services.reporting.catalogue import load_network, territory
from services.reporting.model import Period
from shared.contract.attendance import AccompanimentRecorded
from tests.support.reporting import facts_from, project

YEAR = Period(date(2026, 1, 1), date(2026, 11, 30))


def _visit(n: int, site: str, commune: str, theme: str = "email") -> AccompanimentRecorded:
    return AccompanimentRecorded(
        request_id="r", record_id=f"R{n}", site=site, citizen={"citizen_id": f"cit-p{n:03d}", "commune_insee": commune},
        day=date(2026, 11, n), duration_minutes=30, themes=[theme], admin_themes=[], place_type="lieu_activite",
        equipment=["aucun"], first_time=True, origin=site, event_id=f"evt-{n}",
    )


@pytest.fixture(scope="module")
def data() -> opendata.OpenData:
    events = [_visit(n, "hub", "11069") for n in range(1, 7)]  # six people from Carcassonne
    events += [_visit(n, "trebes", "11397", "securite_numerique") for n in range(7, 10)]  # three from Trèbes
    events += [_visit(10, "conques", "11099"), _visit(11, "conques", "11099")]  # two from Conques
    last = {"hub": "2026-11-06", "trebes": "2026-11-09", "conques": "2026-11-11"}
    return opendata.build(facts_from(project(events)), YEAR, load_network(), territory(), 5, last, date(2026, 11, 30))


def test_places_follow_the_national_field_list_and_values(data: opendata.OpenData) -> None:
    assert len(data.lieux) == 6
    for lieu in data.lieux:
        assert list(lieu) == opendata.FIELDS
        assert opendata.validate_lieu(lieu) == [], lieu["id"]
        assert "Fabriques de Territoire" in lieu["formations_labels"].split("|")
        assert lieu["prise_rdv"].endswith(f"/{lieu['id'].removeprefix('maillage-')}")


def test_places_come_from_live_data(data: opendata.OpenData) -> None:
    by_id = {lieu["id"]: lieu for lieu in data.lieux}
    trebes = by_id["maillage-trebes"]
    assert trebes["horaires"] == "Tu,Th 09:00-12:00,14:00-17:30; Sa 09:00-12:00"  # OSM syntax, from the catalogue
    assert "Utilisation sécurisée du numérique" in trebes["services"].split("|")  # a theme held there
    assert trebes["date_maj"] == "2026-11-09"
    assert by_id["maillage-alzonne"]["date_maj"] == "2026-11-30"  # nothing happened: the day of the export
    assert "Accompagnement individuel" in trebes["modalites_accompagnement"].split("|")


def test_a_commune_with_three_people_shows_no_figure(data: opendata.OpenData) -> None:
    communes = {row["code_insee"] or row["commune"]: row for row in data.communes}
    assert communes["11069"]["personnes_accompagnees"] == 6
    assert communes["11069"]["pour_100_habitants"] == round(600 / 46429, 3)
    assert communes["11397"]["personnes_accompagnees"] is None and communes["11397"]["pour_100_habitants"] is None
    assert communes["11099"]["personnes_accompagnees"] is None
    assert communes["11272"]["personnes_accompagnees"] == 0  # nobody came: that singles nobody out
    sites = {row["id"]: row["personnes_accompagnees"] for row in data.sites}
    assert sites["maillage-hub"] == 6 and sites["maillage-trebes"] is None and sites["maillage-conques"] is None


def test_one_lonely_hidden_cell_takes_the_next_smallest_with_it() -> None:
    assert opendata.suppress({"a": 12, "b": 3, "c": 7, "d": 0}, 5) == {"a": 12, "b": None, "c": None, "d": 0}
    assert opendata.suppress({"a": 12, "b": 3, "c": 4}, 5) == {"a": 12, "b": None, "c": None}
    assert opendata.suppress({"a": 12, "b": 30}, 5) == {"a": 12, "b": 30}


def test_files_are_written_and_suppressed_cells_are_empty(data: opendata.OpenData, tmp_path: Path) -> None:
    files = opendata.write(data, tmp_path)
    assert [f.name for f in files] == ["lieux-mediation-numerique.json", "lieux-mediation-numerique.csv",
                                       "frequentation-communes.csv", "frequentation-lieux.csv"]
    assert json.loads(files[0].read_text(encoding="utf-8")) == data.lieux
    with files[1].open(encoding="utf-8") as f:
        assert csv.DictReader(f).fieldnames == opendata.FIELDS
    with files[2].open(encoding="utf-8") as f:
        rows = {r["code_insee"]: r for r in csv.DictReader(f)}
    assert rows["11397"]["personnes_accompagnees"] == "" and rows["11069"]["personnes_accompagnees"] == "6"


def test_validation_reports_what_the_national_tooling_would_refuse(data: opendata.OpenData) -> None:
    bad = {**data.lieux[0], "pivot": "20003571500017", "services": "Cours de cuisine", "extra": 1}
    del bad["horaires"]
    problems = opendata.validate_lieu(bad)
    assert "champ manquant : horaires" in problems and "champ inconnu du schéma : extra" in problems
    assert any(p.startswith("pivot") for p in problems)
    assert "services : valeur non reconnue 'Cours de cuisine'" in problems
