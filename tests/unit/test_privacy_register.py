"""The processing register is generated from code and settings and the committed one is current;
the export reads every table that names a person; the CLI's guards."""

import argparse
from pathlib import Path

import pytest

from services.booking import tables as booking
from services.inventory import tables as inventory
from services.notifications import tables as notifications
from services.privacy import cli, register
from services.privacy import tables as privacy
from services.privacy.export_queries import SOURCES, readonly_url
from services.reporting import tables as reporting

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "REGISTRE-DES-TRAITEMENTS.md"
PERSON_COLUMNS = ("citizen_id", "recipient")


def test_the_committed_register_is_what_the_code_says() -> None:
    assert COMMITTED.read_text() == register.render(register.Facts.defaults()), (
        "stale: run `maillage privacy register --out docs/REGISTRE-DES-TRAITEMENTS.md`"
    )


def test_the_register_names_purposes_data_retention_and_recipients() -> None:
    text = register.render(register.Facts.defaults())
    for expected in ("### Finalités", "`reminders`", "numéro de téléphone", "**12 mois après la dernière activité**",
                     "**180 jours**", "### Destinataires", "maillage privacy erase"):
        assert expected in text


def test_the_export_reads_every_table_that_names_a_person() -> None:
    named = {
        table.name for m in (booking, inventory, notifications, reporting, privacy)
        for table in m.metadata.sorted_tables if any(c in table.c for c in PERSON_COLUMNS)
        and not table.name.endswith(("_inbox", "_outbox"))
    }
    assert named == {s.table.name for s in SOURCES}


def test_reading_never_creates_a_database(tmp_path: Path) -> None:
    missing = tmp_path / "hub-booking.sqlite3"
    assert readonly_url(f"sqlite+aiosqlite:///{missing}") is None and not missing.exists()
    missing.write_bytes(b"")
    assert readonly_url(f"sqlite+aiosqlite:///{missing}") == f"sqlite+aiosqlite:///file:{missing}?mode=ro&uri=true"


def parse(*argv: str) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="maillage")
    cli.register(parser.add_subparsers(dest="command", required=True))
    return parser.parse_args(list(argv))


async def test_cli_register_writes_then_checks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("MAILLAGE_STREAM_MAX_AGE_DAYS", raising=False)
    out = tmp_path / "registre.md"
    assert await cli.run(parse("privacy", "register", "--out", str(out))) == 0
    assert await cli.run(parse("privacy", "register", "--out", str(out), "--check")) == 0
    monkeypatch.setenv("MAILLAGE_PRIVACY_INACTIVITY_MONTHS", "24")
    assert await cli.run(parse("privacy", "register", "--out", str(out), "--check")) == 1
    assert "n'est plus à jour" in capsys.readouterr().err


async def test_cli_refuses_an_erasure_at_a_site_and_a_bad_id(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                             capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("MAILLAGE_SITE", "trebes")
    monkeypatch.setenv("MAILLAGE_DATA_DIR", str(tmp_path))
    assert await cli.run(parse("privacy", "erase", "cit-000001", "--staff", "s")) == 2
    assert "se décide au pôle" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse("privacy", "erase", "x", "--staff", "s")
