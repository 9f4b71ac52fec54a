"""The committed NATS configs of deploy/ are what `maillage nats-config` generates, and nats-server accepts them."""

import os
import subprocess
from pathlib import Path

import pytest

from shared.natsserver import nats_server_binary

DEPLOY = Path(__file__).resolve().parents[2] / "deploy" / "nats"


@pytest.mark.parametrize("name", ["hub.conf", "site-trebes.conf", "site-conques.conf"])
def test_committed_config_is_valid(name: str) -> None:
    result = subprocess.run([str(nats_server_binary()), "-t", "-c", str(DEPLOY / name)], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr + result.stdout


def test_committed_configs_match_the_generator(tmp_path: Path) -> None:
    copy = tmp_path / "nats"
    copy.mkdir()
    (copy / "generate.sh").write_text((DEPLOY / "generate.sh").read_text())
    maillage = Path(os.environ.get("VIRTUAL_ENV", Path(__import__("sys").executable).parents[1])) / "bin" / "maillage"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILLAGE_")} | {"MAILLAGE": str(maillage)}
    subprocess.run(["bash", str(copy / "generate.sh")], check=True, env=env, cwd=tmp_path)
    for name in ("hub.conf", "site-trebes.conf", "site-conques.conf"):
        assert (copy / name).read_text() == (DEPLOY / name).read_text(), f"{name} drifted: run deploy/nats/generate.sh"
