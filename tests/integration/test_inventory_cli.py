"""``maillage inventory …`` against a database filled through the running service (real nats-server)."""

import argparse
import csv
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from maillage.cli import Parser
from services.inventory import cli
from shared.contract import inventory as inv
from shared.natsserver import EmbeddedNatsServer
from tests.support.inventory import FakeClock, inventory_service, lend, register

# In the past, so that the CLI (which reads the real clock) sees the first loan as overdue.
START = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)


def parser() -> argparse.ArgumentParser:
    """As ``maillage`` builds it: one-line errors, exit 2."""
    root = Parser(prog="maillage")
    cli.register(root.add_subparsers(dest="command", required=True, parser_class=Parser))
    return root


async def run(*argv: str) -> int:
    return await cli.run(parser().parse_args(argv))


@pytest.fixture
async def filled(nats_server: EmbeddedNatsServer, database_url: str, monkeypatch: pytest.MonkeyPatch) -> str:
    async with inventory_service(nats_server.url, database_url, clock=FakeClock(START)) as h:
        for request in [
            register("TAB-1"), register("TAB-2"), register("PC-1", kind="laptop", price="749.00"),
            register("TEL-1", kind="phone", price="189.50", funding="conseiller-numerique"),
            register("PC-DON", kind="laptop", price="0.00", funding="don", site="trebes"),
            lend("TAB-1", due_date=date(2025, 1, 10)), lend("PC-1", n=2, due_date=date(2099, 1, 1)),
            inv.TransferDispatchRequested(transfer_id="T-CONQUES", to_site="conques", asset_tags=["TAB-2"]),
        ]:
            await h.answer(request)
        h.clock.advance(timedelta(hours=1))
        await h.answer(inv.LoanRenewRequested(asset_tag="PC-1", due_date=date(2099, 2, 1)))
        await h.settled()
    monkeypatch.setenv("MAILLAGE_DATABASE_URL", database_url)
    return database_url


async def test_where_shows_location_and_history(filled: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run("inventory", "where", "TAB-2") == 0
    out = capsys.readouterr().out
    assert "TAB-2 — tablette" in out and "Statut       : en transit" in out
    assert "en route vers conques" in out and "fabriques-de-territoires — 299,00 €" in out
    history = out.split("Historique :\n", 1)[1].splitlines()
    assert history[0].startswith("  06/01/2025 10:00  enregistré")  # local time (Paris)
    assert "expédié de hub vers conques (transfert T-CONQUES) — hub, en transit" in history[1]
    assert await run("inventory", "where", "PC-1") == 0
    out = capsys.readouterr().out
    assert "Prêt         : à emporter, à cit-000002, retour le 01/02/2099" in out
    assert "prêt prolongé jusqu'au 01/02/2099" in out


async def test_where_an_unknown_tag(filled: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run("inventory", "where", "NOPE") == 1
    assert capsys.readouterr().err.strip() == "Matériel inconnu : NOPE."


async def test_loans_by_site_and_overdue(filled: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert await run("inventory", "loans") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Prêts en cours — tous les sites : 2"
    assert out[1].split()[0] == "TAB-1" and "EN RETARD" in out[1]
    assert out[2].split()[0] == "PC-1" and "EN RETARD" not in out[2]
    assert await run("inventory", "loans", "--site", "hub", "--overdue") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "Prêts en retard — site hub : 1" and "retour le 10/01/2025" in out[1]
    assert await run("inventory", "loans", "--site", "trebes") == 0
    assert capsys.readouterr().out.strip() == "Prêts en cours — site trebes : 0"


async def test_register_export_lists_every_asset_with_totals_per_funding_source(
    filled: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "registre.csv"
    assert await run("inventory", "register-export", "--out", str(target)) == 0
    summary = capsys.readouterr().out
    assert summary.splitlines()[0] == f"Registre écrit dans {target} : 5 biens, 1536,50 €."
    with target.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f, delimiter=";"))
    header, assets = rows[0], rows[1:6]
    assert header[:2] == ["etiquette", "type"] and rows[6] == []
    by_tag = {r[0]: dict(zip(header, r, strict=True)) for r in assets}
    assert set(by_tag) == {"TAB-1", "TAB-2", "PC-1", "TEL-1", "PC-DON"}
    assert by_tag["PC-1"]["financement"] == "fabriques-de-territoires" and by_tag["PC-1"]["prix_achat_eur"] == "749,00"
    assert (by_tag["TAB-1"]["statut"], by_tag["PC-DON"]["site"]) == ("en prêt", "trebes")
    assert rows[7:] == [
        ["financement", "nombre_de_biens", "valeur_totale_eur"],
        ["conseiller-numerique", "1", "189,50"], ["don", "1", "0,00"], ["fabriques-de-territoires", "3", "1347,00"],
        ["TOTAL", "5", "1536,50"],
    ]
    assert await run("inventory", "register-export") == 0
    assert capsys.readouterr().out.splitlines()[-1] == "TOTAL;5;1536,50"


@pytest.mark.parametrize("argv", [
    ["inventory"], ["inventory", "where"], ["inventory", "where", "pas une étiquette"],
    ["inventory", "loans", "--site", "Pas Un Site"], ["inventory", "register-export", "--nope"],
])
def test_invalid_arguments_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_:
        parser().parse_args(argv)
    assert exit_.value.code == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and "erreur" in err, err


async def test_unknown_site_or_missing_database(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("MAILLAGE_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'absent.sqlite3'}")
    assert await run("inventory", "loans", "--site", "paris") == 2
    assert capsys.readouterr().err.startswith("Site inconnu : paris")
    assert await run("inventory", "where", "TAB-1") == 1
    assert "Base d'inventaire introuvable" in capsys.readouterr().err
    assert not (tmp_path / "absent.sqlite3").exists()
