"""The dashboard in a real headless Chromium (Debian's, installed by scripts/ensure-browser.sh): the page
loads, a phone-sized screenshot is kept under test-artifacts/, and the figures in the rendered DOM are
the read models' figures."""

import asyncio
import contextlib
from datetime import UTC, datetime
from html.parser import HTMLParser
from pathlib import Path

from sqlalchemy import insert

from services.reporting import queries, tables
from services.reporting.dashboard import DashboardServer
from services.reporting.indicators import by_site, compute
from services.reporting.model import Period
from services.reporting.report import key_figures
from shared.db import make_engine
from tests.support.reporting import feed, reporting_settings, scripted_month

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--hide-scrollbars"]
NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


class Page(HTMLParser):
    """Network cards (``data-figure`` outside rows), per-site rows and their sync status."""

    def __init__(self) -> None:
        super().__init__()
        self.cards: dict[str, str] = {}
        self.sites: dict[str, dict[str, str]] = {}
        self._site: str | None = None
        self._in_row = False
        self._field: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "tr":
            self._in_row, self._site = True, a.get("data-site")
            if self._site:
                self.sites[self._site] = {}
        self._field = a.get("data-figure") or ("sync" if "data-sync" in a else None)

    def handle_endtag(self, tag: str) -> None:
        if tag == "tr":
            self._in_row, self._site = False, None

    def handle_data(self, data: str) -> None:
        if self._in_row and not self._site:  # other tables (communes) are not what is checked here
            return
        if self._field and data.strip():
            target = self.sites[self._site] if self._site else self.cards
            target[self._field] = data.strip()
            self._field = None


async def chromium(profile: Path, *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), timeout=90)
    finally:
        if process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
    assert process.returncode == 0, err.decode(errors="replace")[-2000:]
    return out.decode()


async def test_dashboard_renders_in_chromium_with_the_read_models_figures(database_url: str, tmp_path: Path) -> None:
    assert CHROMIUM.is_file(), "Debian's chromium is missing: run scripts/ensure-browser.sh (as root)"  # noqa: ASYNC240
    settings = reporting_settings("", database_url)
    engine = make_engine(database_url)
    await feed(engine, settings, scripted_month().events)
    async with engine.begin() as conn:
        await conn.execute(insert(tables.site_status), [
            {"site": "trebes", "state": "ok", "pending": 0, "last_seen_at": NOW.timestamp() - 120},
            {"site": "conques", "state": "retard", "pending": 12, "last_seen_at": NOW.timestamp() - 3600},
        ])
    server = DashboardServer(engine, settings, now=lambda: NOW)
    await server.start()
    try:
        dom = await chromium(tmp_path / "profile", "--dump-dom", f"{server.url}/")
        ARTIFACTS.mkdir(exist_ok=True)
        shot = ARTIFACTS / "dashboard-phone.png"
        shot.unlink(missing_ok=True)
        await chromium(tmp_path / "profile", "--window-size=412,4200", f"--screenshot={shot}", f"{server.url}/")
        async with engine.connect() as conn:
            facts = await queries.load_facts(conn, Period.month(2026, 11))
    finally:
        await server.stop()
        await engine.dispose()

    assert shot.stat().st_size > 20_000
    page = Page()
    page.feed(dom)
    expected = {fid: value for fid, _label, value in key_figures(compute(facts, Period.month(2026, 11),
                                                                          settings.territory))}
    assert page.cards == {fid: expected[fid] for fid in page.cards} and len(page.cards) == 12
    assert (page.cards["people"], page.cards["visits"], page.cards["sessions_held"]) == ("10", "13", "4")
    per_site = by_site(facts, Period.month(2026, 11), settings.territory, list(page.sites))
    for slug, cells in page.sites.items():
        f = per_site[slug]
        assert (cells["people"], cells["visits"], cells["sessions_held"]) == (
            str(f.people), str(f.visits), str(f.sessions_held)), slug
    assert page.sites["trebes"]["sync"].startswith("À jour")
    assert page.sites["conques"]["sync"].startswith("En retard : 12 événement(s) en attente")
    assert page.sites["hub"]["sync"] == "Non suivi"
    assert "novembre 2026" in dom and 'lang="fr"' in dom
