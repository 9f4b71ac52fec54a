"""deploy/: alert rules and dashboard name real metrics; the site box installer and its units work."""

import importlib
import pkgutil
import re
import subprocess
from pathlib import Path

import prometheus_client
import pytest
import yaml

import services
from shared.settings import NodeSettings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
METRIC = re.compile(r"\b(maillage_[a-z0-9_]+|up)\b")


def exported_metric_names() -> set[str]:
    """Every sample name the Maillage processes can export (families register at import)."""
    importlib.import_module("maillage.registry")
    for module in pkgutil.iter_modules(services.__path__):
        try:
            importlib.import_module(f"services.{module.name}.metrics")
        except ModuleNotFoundError as exc:
            if exc.name != f"services.{module.name}.metrics":
                raise
    registry = prometheus_client.REGISTRY
    return {name for name in registry._names_to_collectors if name.startswith("maillage_")}  # type: ignore[attr-defined]


def alert_expressions() -> list[str]:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    return [rule["expr"] for group in rules["groups"] for rule in group["rules"]]


def dashboard_expressions() -> list[str]:
    import json

    dashboard = json.loads((DEPLOY / "grafana" / "dashboards" / "maillage.json").read_text())
    exprs = [t["expr"] for p in dashboard["panels"] for t in p.get("targets", [])]
    return exprs + [v["definition"] for v in dashboard["templating"]["list"]]


def test_alert_rules_use_metrics_that_exist() -> None:
    exported = exported_metric_names() | {"up"}
    used = {name for expr in alert_expressions() for name in METRIC.findall(expr)}
    assert used - exported == set()
    assert {"maillage_site_up", "maillage_site_last_seen_age_seconds", "maillage_sync_backlog",
            "maillage_dead_letters_total", "maillage_outbox_backlog", "maillage_consumer_pending",
            "maillage_notifications_oldest_pending_reminder_seconds", "maillage_jetstream_store_bytes",
            "maillage_service_up", "up"} <= used


def test_the_dashboard_uses_metrics_that_exist() -> None:
    exported = exported_metric_names() | {"up"}
    used = {name for expr in dashboard_expressions() for name in METRIC.findall(expr)}
    assert used - exported == set()


def test_every_alert_is_unit_tested() -> None:
    rules = yaml.safe_load((DEPLOY / "prometheus" / "alerts.yml").read_text())
    names = {rule["alert"] for group in rules["groups"] for rule in group["rules"]}
    tests = yaml.safe_load((DEPLOY / "prometheus" / "alerts.test.yml").read_text())
    tested = {case["alertname"] for test in tests["tests"] for case in test["alert_rule_test"]}
    fired = {case["alertname"] for test in tests["tests"] for case in test["alert_rule_test"] if case["exp_alerts"]}
    assert names == tested == fired


def site_nats_conf(path: Path) -> Path:
    path.write_text('server_name: "maillage-trebes"\njetstream {\n  store_dir: "/tmp/elsewhere"\n}\n')
    return path


def install(tmp_path: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    venv = Path(__import__("sys").executable).parent.parent
    command = ["bash", str(DEPLOY / "site" / "install.sh"), "--root", str(tmp_path / "root"), "--venv", str(venv),
               "--no-packages", "--no-systemd", *extra]
    return subprocess.run(command, capture_output=True, text=True, timeout=60)


def test_site_installer_writes_configuration_and_units(tmp_path: Path) -> None:
    result = install(tmp_path, "--site", "trebes", "--nats-conf", str(site_nats_conf(tmp_path / "site.conf")))
    assert result.returncode == 0, result.stderr
    etc = tmp_path / "root" / "etc" / "maillage"
    assert 'store_dir: "/var/lib/maillage/nats/jetstream"' in (etc / "nats.conf").read_text()
    env = dict(line.split("=", 1) for line in (etc / "maillage.env").read_text().splitlines()
               if line and not line.startswith("#"))
    settings = NodeSettings(**{k.removeprefix("MAILLAGE_").lower(): v for k, v in env.items()
                               if k not in ("MAILLAGE_LOG_FORMAT",)})
    assert settings.site == "trebes" and settings.role == "site" and settings.nats_url == "nats://127.0.0.1:4222"
    units = tmp_path / "root" / "etc" / "systemd" / "system"
    names = sorted(p.name for p in units.iterdir())
    assert names == ["maillage-backup.service", "maillage-backup.timer", "maillage-nats.service", "maillage.service"]
    # systemd's own checker: syntax, and that every ExecStart program exists (the venv's here).
    check = subprocess.run(["systemd-analyze", "verify", "--man=no", *map(str, sorted(units.iterdir()))],
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0 and "not executable" not in check.stderr, check.stderr

    again = install(tmp_path, "--site", "trebes", "--nats-conf", str(tmp_path / "site.conf"))
    assert again.returncode == 0 and "conservé" in again.stdout  # an upgrade keeps the settings


@pytest.mark.parametrize(("args", "message"), [
    (["--site", "Trèbes!"], "slug"),
    (["--site", "hub"], "compose.yaml"),
    (["--site", "trebes", "--nats-conf", "/nonexistent.conf"], "introuvable"),
])
def test_site_installer_refuses_bad_input(tmp_path: Path, args: list[str], message: str) -> None:
    result = install(tmp_path, *args)
    assert result.returncode == 1 and message in result.stderr


def test_units_run_the_commands_of_the_cli() -> None:
    from maillage.cli import build_parser

    parser = build_parser()
    for unit in (DEPLOY / "site").glob("*.service"):
        for line in unit.read_text().splitlines():
            match = re.search(r"/opt/maillage/bin/maillage ([^'$]+?)(?: --out|'|$)", line)
            if match:
                words = match.group(1).split()
                parser.parse_args(words + (["--out", "x"] if words == ["backup"] else []))
