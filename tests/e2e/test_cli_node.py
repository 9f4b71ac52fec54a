"""The README's path, as a newcomer runs it: `maillage up` on embedded defaults, then the CLI."""

import asyncio
import json
import signal
import urllib.request
from pathlib import Path

import nats

from tests.support.bus import eventually
from tests.support.processes import env_for, run, spawn, stop


def http_get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


async def test_up_on_embedded_defaults_then_publish_and_stop_cleanly(tmp_path: Path) -> None:
    # No MAILLAGE_NATS_URL, no database URL: embedded nats-server and SQLite under ./var.
    env = env_for(metrics_port="0", dashboard_port="0", console_port="0", public_port="0")
    log = tmp_path / "up.log"
    node = await spawn(["up", "--demo"], tmp_path, env, log)
    try:
        text = await eventually(
            lambda: asyncio.to_thread(log.read_text), lambda t: "Prêt." in t or "Traceback" in t, 60, "the node"
        )
        assert "Traceback" not in text, text
        assert "serveur embarqué" in text and "Tableau de bord" in text
        assert (tmp_path / "var" / "nats.url").exists()
        assert list((tmp_path / "var").glob("*.sqlite3")), "SQLite files under the data dir"
        metrics_url = next(line.split()[2] for line in text.splitlines() if "Métriques" in line)

        payload = {"workshop_id": "demo-hub-0-1", "citizen": {"citizen_id": "cit-e2e-1", "commune_insee": "11069"}}

        async def book() -> tuple[int, str, str]:
            return await run(["publish", "booking.requested", json.dumps(payload), "--wait", "5"], tmp_path, env)

        # The demo workshops are being scheduled from the seed; the booking is confirmed once they are.
        code, out, err = await eventually(book, lambda r: '"booking.confirmed"' in r[1], 60, "a confirmation")
        assert code == 0 and json.loads(out)["citizen"]["citizen_id"] == "cit-e2e-1"

        # Request-reply for front-ends that want the answer in one round trip.
        nc = await nats.connect((tmp_path / "var" / "nats.url").read_text().strip())
        try:
            payload["citizen"]["citizen_id"] = "cit-e2e-2"
            reply = await nc.request("rpc.hub.booking.requested", json.dumps(payload).encode(), timeout=10)
            answer = json.loads(reply.data)
            assert answer["status"] == "answered" and answer["event"]["type"] == "booking.confirmed"
            reply = await nc.request("rpc.hub.booking.requested", b'{"workshop_id": "x"}', timeout=10)
            assert json.loads(reply.data)["status"] == "invalid"
        finally:
            await nc.close()

        assert (await run(["streams", "--verify"], tmp_path, env))[1].strip() == "topologie conforme"
        code, _, err = await run(["publish", "booking.requested", "{not json"], tmp_path, env)
        assert code == 2 and len(err.strip().splitlines()) == 1 and "JSON invalide" in err
        code, _, err = await run(["publish", "booking.requested", "@missing.json"], tmp_path, env)
        assert code == 2 and "fichier illisible" in err
        code, _, err = await run(["publish", "booking.requested", "{}", "--wait", "-1"], tmp_path, env)
        assert code == 2 and len(err.strip().splitlines()) == 1

        status, body = await asyncio.to_thread(http_get, metrics_url)
        assert status == 200 and "maillage_events_consumed_total" in body and "maillage_outbox_backlog" in body
        assert (await asyncio.to_thread(http_get, metrics_url.replace("/metrics", "/readyz")))[0] == 200

        node.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(node.wait(), 30) == 0
        assert "Arrêté proprement." in log.read_text()
    finally:
        await stop(node)


async def test_invalid_settings_get_one_line_and_exit_2(tmp_path: Path) -> None:
    code, _, err = await run(["streams"], tmp_path, env_for(site="Not A Slug!"))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "site" in err


async def test_a_service_named_twice_gets_one_line_and_exit_2(tmp_path: Path) -> None:
    code, _, err = await run(["service", "booking", "inventory", "booking"], tmp_path,
                             env_for(nats_url="nats://127.0.0.1:1"))
    assert code == 2 and len(err.strip().splitlines()) == 1 and "deux fois" in err
