"""``maillage report`` and ``maillage reporting …`` against a real database (and NATS for rebuild)."""

import argparse
import csv
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from maillage.cli import Parser
from services.reporting import cli, cra, opendata
from shared.db import make_engine
from shared.natsserver import EmbeddedNatsServer
from tests.support.reporting import URBAN, feed, on_hub, publish, reporting_settings, scripted_month


def parse(argv: list[str]) -> argparse.Namespace:
    parser = Parser(prog="maillage")
    cli.register(parser.add_subparsers(dest="command", required=True, parser_class=Parser))
    return parser.parse_args(argv)


@pytest_asyncio.fixture
async def populated(database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[str]:
    monkeypatch.setenv("MAILLAGE_DATABASE_URL", database_url)
    monkeypatch.setenv("MAILLAGE_URBAN_COMMUNES", json.dumps(URBAN))
    monkeypatch.setenv("MAILLAGE_DATA_DIR", str(tmp_path / "var"))
    engine = make_engine(database_url)
    try:
        await feed(engine, reporting_settings("", database_url), scripted_month().events)
    finally:
        await engine.dispose()
    yield database_url


async def test_report_pdf_and_html(populated: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out" / "bilan-novembre.pdf"
    assert await cli.run(parse(["report", "--from", "2026-11-01", "--to", "2026-11-30", "--out", str(out)])) == 0
    assert "Bilan écrit" in capsys.readouterr().out
    keywords = re.search(rb"/Keywords \((.*?)\)", out.read_bytes())
    assert keywords is not None and b"people=10;people_first_time=9;visits=13;sessions_held=4" in keywords.group(1)
    html = tmp_path / "bilan.html"
    args = ["report", "--from", "2026-11-01", "--to", "2026-11-30", "--out", str(html), "--site", "conques"]
    assert await cli.run(parse(args)) == 0
    assert 'data-figure="people">3<' in html.read_text(encoding="utf-8")


async def test_cra_csv_and_xlsx(populated: str, tmp_path: Path) -> None:
    out = tmp_path / "cra.csv"
    november = ["--from", "2026-11-01", "--to", "2026-11-30"]
    assert await cli.run(parse(["reporting", "cra", *november, "--out", str(out)])) == 0
    with out.open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) == 8 and all(cra.validate_row(r) == [] for r in rows)
    xlsx = tmp_path / "cra.xlsx"
    quarter = ["--from", "2026-10-01", "--to", "2026-12-31"]
    assert await cli.run(parse(["reporting", "cra", *quarter, "--out", str(xlsx)])) == 0
    assert xlsx.stat().st_size > 0


async def test_opendata(populated: str, tmp_path: Path) -> None:
    out = tmp_path / "opendata"
    args = ["reporting", "opendata", "--from", "2026-01-01", "--to", "2026-12-31", "--out", str(out)]
    assert await cli.run(parse(args)) == 0
    lieux = json.loads((out / "lieux-mediation-numerique.json").read_text(encoding="utf-8"))
    assert len(lieux) == 6 and all(opendata.validate_lieu(lieu) == [] for lieu in lieux)
    assert {lieu["id"]: lieu["date_maj"] for lieu in lieux}["maillage-conques"] == "2026-12-02"


@pytest.mark.parametrize("argv, message", [
    (["report", "--from", "2026-13-01", "--to", "2026-12-31", "--out", "x.pdf"], "date invalide pour --from"),
    (["report", "--from", "2026-12-01", "--to", "2026-11-01", "--out", "x.pdf"], "précède --from"),
    (["report", "--from", "2026-11-01", "--to", "2026-11-30", "--out", "x.docx"], "--out doit finir par"),
    (["report", "--from", "2026-11-01", "--to", "2026-11-30", "--out", "x.pdf", "--site", "mars"], "lieu inconnu"),
    (["reporting", "cra", "--from", "hier", "--to", "2026-11-30", "--out", "x.csv"], "date invalide"),
    (["reporting", "opendata", "--from", "2026-11-01", "--out", "d"], "--from et --to vont ensemble"),
])
async def test_bad_input_is_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert await cli.run(parse(argv)) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1
    assert not list(tmp_path.iterdir())  # noqa: ASYNC240 — nothing written


async def test_rebuild_command(nats_server: EmbeddedNatsServer, database_url: str, tmp_path: Path,
                               monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    from maillage.node import connect, ensure_topology
    from services.reporting import app

    settings = reporting_settings(nats_server.url, database_url)
    nc, js = await connect(nats_server.url, "test-cli")
    try:
        await ensure_topology(js, settings, [app.definition(settings)])
        events = on_hub(scripted_month().events)
        await publish(js, events)
    finally:
        await nc.close()
    monkeypatch.setenv("MAILLAGE_DATABASE_URL", database_url)
    monkeypatch.setenv("MAILLAGE_NATS_URL", nats_server.url)
    assert await cli.run(parse(["reporting", "rebuild"])) == 0
    out = capsys.readouterr().out
    assert f"événements lus : {len(events)}, appliqués : {len(events)}" in out
