"""Activity records in the national format: one per accompaniment and per session held, valid values only."""

import csv
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from services.reporting import cra
from services.reporting.catalogue import load_network, territory
from services.reporting.indicators import Facts
from services.reporting.model import Period
from services.reporting.tables import Rejected
from shared.contract.codec import InvalidEvent, decode
from tests.support.reporting import URBAN, accompaniment, facts_from, project, scripted_month

NOVEMBER = Period.month(2026, 11)


@pytest.fixture(scope="module")
def facts() -> Facts:
    return facts_from(project(scripted_month().events))


@pytest.fixture(scope="module")
def rows(facts: Facts) -> list[dict]:
    return cra.records(facts, NOVEMBER, load_network(), territory(URBAN))


def test_every_accompaniment_and_session_held_becomes_one_valid_record(rows: list[dict]) -> None:
    assert [(r["date"], r["id"], r["type"]) for r in rows] == [
        ("2026-11-03", "W1", "collectif"), ("2026-11-05", "A1", "individuel"), ("2026-11-10", "W4", "collectif"),
        ("2026-11-12", "A3", "individuel"), ("2026-11-14", "W5", "collectif"), ("2026-11-18", "W2", "collectif"),
        ("2026-11-20", "A2", "individuel"), ("2026-11-26", "A4", "individuel"),
    ]  # W3 was cancelled: no record; A0 (October) and A5 (December) are outside the period
    assert all(list(r) == cra.COLUMNS for r in rows)
    assert {r["id"]: cra.validate_row(r) for r in rows} == {r["id"]: [] for r in rows}


def test_workshop_attendance_fills_the_collective_record(rows: list[dict]) -> None:
    w1 = next(r for r in rows if r["id"] == "W1")
    assert (w1["total"], w1["genreFeminin"], w1["genreMasculin"]) == (3, 2, 1)  # c01, c04, walk-in c05
    assert (w1["trancheAgeSoixanteDixPlus"], w1["trancheAgeDouzeDixHuit"]) == (2, 1)
    assert (w1["statutSocialRetraite"], w1["statutSocialScolarise"]) == (2, 1)
    assert w1["dejaAccompagne"] == 1  # c01 was accompanied in October
    assert (w1["titreAtelier"], w1["niveau"], w1["duree"], w1["thematiques"]) == (
        "Premiers pas sur Internet", "debutant", 120, "navigation_sur_internet")
    assert (w1["typeLieu"], w1["lieuCodeInsee"], w1["lieuCommune"]) == ("lieu_activite", "11069", "Carcassonne")
    w5 = next(r for r in rows if r["id"] == "W5")
    assert (w5["total"], w5["dejaAccompagne"], w5["niveau"]) == (2, 1, "intermediaire")  # c04 came on the 3rd


def test_individual_record_fields(rows: list[dict]) -> None:
    a2 = next(r for r in rows if r["id"] == "A2")
    assert (a2["thematiques"], a2["thematiquesDemarche"]) == ("aide_aux_demarches_administratives", "social_sante")
    assert (a2["orienteVersStructure"], a2["structureDeRedirection"]) == ("true", "aide_sociale")
    assert (a2["autonomie"], a2["premierAccompagnement"], a2["materiel"]) == ("entierement_accompagne", "false",
                                                                             "aucun")
    assert (a2["genre"], a2["trancheAge"], a2["statutSocial"], a2["communeCodeInsee"]) == (
        "feminin", "soixante_dix_plus", "retraite", "11069")
    assert a2["total"] == ""  # counts are for workshops
    a3 = next(r for r in rows if r["id"] == "A3")  # at home: the place is the person's commune
    assert (a3["typeLieu"], a3["lieuCodeInsee"], a3["lieuCommune"], a3["materiel"]) == (
        "domicile", "11397", "Trèbes", "telephone")


def test_csv_and_xlsx_use_the_national_column_names(rows: list[dict], tmp_path: Path) -> None:
    cra.write_csv(rows, tmp_path / "cra.csv")
    with (tmp_path / "cra.csv").open(encoding="utf-8") as f:
        read = list(csv.DictReader(f))
    assert list(read[0]) == cra.COLUMNS and len(read) == 8
    assert all(cra.validate_row(r) == [] for r in read)
    cra.write_xlsx(rows, tmp_path / "cra.xlsx")
    sheet = load_workbook(tmp_path / "cra.xlsx", read_only=True)["CRA"]
    values = list(sheet.iter_rows(values_only=True))
    assert list(values[0]) == cra.COLUMNS and len(values) == 9
    assert values[1][:4] == ("W1", "collectif", "2026-11-03", 120)


def test_an_unknown_theme_is_rejected_at_ingestion_with_a_reason() -> None:
    event = accompaniment("hub", "A9", "c01", date(2026, 11, 9), 30, ["email"]).model_copy(
        update={"origin": "hub", "event_id": "evt-bad"})
    body = event.model_dump_json().replace('"email"', '"jardinage"').encode()
    with pytest.raises(InvalidEvent) as refused:  # what the consumer does before any handler: dead-letter
        decode("tl.hub.attendance.accompaniment_recorded", body)
    assert refused.value.reason == "invalid_event" and "themes" in refused.value.detail


def test_national_rules_the_schema_cannot_express_are_refused_with_a_reason_and_not_exported() -> None:
    event = accompaniment("hub", "A8", "c01", date(2026, 11, 9), 30, ["email"], admin_themes=["logement"])
    state = project([event.model_copy(update={"origin": "hub", "event_id": "evt-8"})])
    assert list(state[Rejected]) == ["A8"]
    assert state[Rejected]["A8"].reason == "admin_theme_without_parent"
    facts = facts_from(state)
    assert cra.records(facts, NOVEMBER, load_network(), territory()) == []
    assert cra.check_accompaniment(["email"], [], ["aucun", "ordinateur"], 30) is not None
    assert cra.check_accompaniment(["email"], [], ["ordinateur"], 30) is None


def test_validation_catches_values_outside_the_national_lists(rows: list[dict]) -> None:
    bad = {**rows[0], "thematiques": "navigation_sur_internet|jardinage", "typeLieu": "cafe", "total": 4}
    problems = cra.validate_row(bad)
    assert "thematiques : valeur hors nomenclature 'jardinage'" in problems
    assert "typeLieu : valeur hors nomenclature 'cafe'" in problems
    assert any(p.startswith("genre : la somme") for p in problems)
