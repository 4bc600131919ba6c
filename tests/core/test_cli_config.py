"""Which configuration file a command uses, and that it says so (issue 8, defect 14)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from broadcastd.cli import find_config
from broadcastd.settings import SettingsError

ROOT = Path(__file__).resolve().parents[2]


def test_the_order_is_option_then_environment_then_source_tree_then_etc(tmp_path: Path) -> None:
    local, system = tmp_path / "config/broadcastd.yaml", tmp_path / "etc/broadcastd.yaml"
    places = (local, system)
    env = {"BROADCASTD_CONFIG": "/srv/b.yaml"}

    assert find_config(Path("x.yaml"), env, places).source == "--config"
    assert find_config(None, env, places).path == Path("/srv/b.yaml")
    with pytest.raises(SettingsError, match="looked for .*config/broadcastd.yaml, .*etc"):
        find_config(None, {}, places)
    system.parent.mkdir(parents=True)
    system.write_text("{}\n")
    assert find_config(None, {}, places).path == system
    local.parent.mkdir(parents=True)
    local.write_text("{}\n")
    assert find_config(None, {}, places).path == local


def test_validate_reads_broadcastd_config_and_says_which_file(tmp_path: Path) -> None:
    config = tmp_path / "site.yaml"
    config.write_text(
        f"paths: {{schedules: {ROOT / 'schedules'}, audio_library: {ROOT / 'audio_library'}}}\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "broadcastd", "validate"],
        cwd=tmp_path, env={"BROADCASTD_CONFIG": str(config), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"broadcastd: config {config} ($BROADCASTD_CONFIG)" in result.stderr
