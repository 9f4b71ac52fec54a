"""The dashboard's HTTP routes over a real socket: JSON figures, open data, another month, bad input."""

import asyncio
import json
import urllib.error
import urllib.request
from datetime import UTC, datetime

import pytest

from services.reporting import opendata
from services.reporting.dashboard import DashboardServer
from shared.db import make_engine
from tests.support.reporting import feed, reporting_settings, scripted_month

NOW = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers["Content-Type"], exc.read()


async def test_dashboard_routes(database_url: str) -> None:
    settings = reporting_settings("", database_url)
    engine = make_engine(database_url)
    await feed(engine, settings, scripted_month().events)
    server = DashboardServer(engine, settings, now=lambda: NOW)
    await server.start()
    try:
        status, kind, body = await asyncio.to_thread(_get, f"{server.url}/api/indicateurs")
        assert (status, kind) == (200, "application/json; charset=utf-8")
        figures = json.loads(body)
        assert (figures["reseau"]["people"], figures["reseau"]["visits"]) == (10, 13)
        assert figures["reseau"]["attendance_rate"] == pytest.approx(6 / 9)
        assert figures["lieux"]["conques"]["people"] == 3 and figures["reseau"]["period"]["from"] == "2026-11-01"

        status, _kind, body = await asyncio.to_thread(_get, f"{server.url}/?mois=2026-12")
        assert status == 200 and "décembre 2026" in body.decode() and 'data-figure="people">1<' in body.decode()
        status, _kind, body = await asyncio.to_thread(_get, f"{server.url}/?mois=2025-01")
        assert status == 200 and "Personne n'a encore été accompagné ce mois-ci." in body.decode()
        status, _kind, body = await asyncio.to_thread(_get, f"{server.url}/?mois=2026-13")
        assert status == 400 and "mois invalide" in body.decode()

        status, _kind, body = await asyncio.to_thread(_get, f"{server.url}/opendata/lieux.json")
        lieux = json.loads(body)
        assert status == 200 and len(lieux) == 6 and all(opendata.validate_lieu(lieu) == [] for lieu in lieux)
    finally:
        await server.stop()
        await engine.dispose()
