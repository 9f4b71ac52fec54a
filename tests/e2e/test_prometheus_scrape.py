"""A real Prometheus (Debian's, scripts/ensure-prometheus.sh) with deploy/prometheus/ against a live node."""

import asyncio
import json
import signal
import subprocess
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

import yaml

from shared.natsserver import free_port
from tests.support.bus import eventually
from tests.support.processes import env_for, spawn, stop

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_DIR = ROOT / "deploy" / "prometheus"


def promtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["promtool", *args], cwd=PROMETHEUS_DIR, capture_output=True, text=True, timeout=120)


def test_promtool_accepts_the_config_and_every_alert_passes_its_unit_tests() -> None:
    for args in (("check", "config", "prometheus.yml"), ("check", "rules", "alerts.yml"),
                 ("test", "rules", "alerts.test.yml")):
        result = promtool(*args)
        assert result.returncode == 0, f"promtool {' '.join(args)}:\n{result.stdout}{result.stderr}"


def scrape_config(tmp_path: Path, metrics_port: int) -> Path:
    """deploy's prometheus.yml, pointed at the node under test and scraping every second."""
    config: dict[str, Any] = yaml.safe_load((PROMETHEUS_DIR / "prometheus.yml").read_text())
    config["global"].update(scrape_interval="1s", evaluation_interval="1s")
    config["rule_files"] = [str(PROMETHEUS_DIR / name) for name in config["rule_files"]]
    hub = next(job for job in config["scrape_configs"] if job["job_name"] == "maillage-hub")
    hub["static_configs"][0]["targets"] = [f"127.0.0.1:{metrics_port}"]
    config["scrape_configs"] = [hub]
    path = tmp_path / "prometheus.yml"
    path.write_text(yaml.safe_dump(config))
    return path


def api(base: str, path: str, **query: str) -> Any:
    url = f"{base}/api/v1/{path}" + (f"?{urllib.parse.urlencode(query)}" if query else "")
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return json.loads(response.read())["data"]
    except OSError:
        return None


async def test_prometheus_scrapes_a_live_node_and_evaluates_every_rule(tmp_path: Path) -> None:
    metrics_port, web_port = free_port(), free_port()
    env = env_for(metrics_port=str(metrics_port), dashboard_port="0", console_port="0", public_port="0",
                  log_format="json")
    node = await spawn(["up", "--demo"], tmp_path, env, tmp_path / "node.log")
    log = (tmp_path / "prometheus.log").open("wb")
    prometheus = await asyncio.create_subprocess_exec(
        "prometheus", f"--config.file={scrape_config(tmp_path, metrics_port)}",
        f"--storage.tsdb.path={tmp_path / 'tsdb'}", f"--web.listen-address=127.0.0.1:{web_port}",
        stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{web_port}"
    try:
        async def query(expr: str) -> Any:
            return await asyncio.to_thread(api, base, "query", query=expr)

        up = await eventually(lambda: query('up{job="maillage-hub"}'), lambda r: bool(r and r["result"]
                              and r["result"][0]["value"][1] == "1"), 60, "the node scraped")
        assert up["result"][0]["metric"]["node"] == "hub"
        consumed = await eventually(
            lambda: query('sum(maillage_events_consumed_total{outcome="processed", service="booking"})'),
            lambda r: bool(r and r["result"] and float(r["result"][0]["value"][1]) > 0), 60, "events scraped",
        )
        assert float(consumed["result"][0]["value"][1]) > 0
        names = set(await asyncio.to_thread(api, base, "label/__name__/values"))
        assert {"maillage_service_up", "maillage_consumer_pending", "maillage_outbox_backlog",
                "maillage_handler_batch_seconds_bucket", "maillage_bookings"} <= names

        def rules_evaluated() -> list[dict[str, Any]]:
            data = api(base, "rules")
            return [r for g in (data or {}).get("groups", []) for r in g["rules"]]

        rules = await eventually(lambda: asyncio.to_thread(rules_evaluated),
                                 lambda rs: bool(rs) and all(r["health"] == "ok" for r in rs), 60, "rules evaluated")
        assert len(rules) == 11

        def alerting() -> list[str]:
            return [a["labels"]["alertname"] for r in rules_evaluated() for a in r.get("alerts", [])]

        # A scrape that timed out while the node was starting on a loaded machine leaves the alert
        # pending until the next evaluation: what matters is that it clears while the node is healthy.
        await eventually(lambda: asyncio.to_thread(alerting), lambda names: "MaillageServiceDown" not in names,
                         60, "no service-down alert on a healthy node")
    finally:
        prometheus.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(prometheus.wait(), 30)
        except TimeoutError:
            prometheus.kill()
            await prometheus.wait()
        log.close()
        node.send_signal(signal.SIGINT)
        await stop(node)
    assert "Traceback" not in (tmp_path / "node.log").read_text()
