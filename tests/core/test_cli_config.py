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
        [sys.executable, "-m", "broadcastd", "--lang", "en", "validate"],
        cwd=tmp_path, env={"BROADCASTD_CONFIG": str(config), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"broadcastd: config {config} ($BROADCASTD_CONFIG)" in result.stderr
    said = subprocess.run(
        [sys.executable, "-m", "broadcastd", "validate"],
        cwd=tmp_path, env={"BROADCASTD_CONFIG": str(config), "PATH": "/usr/bin:/bin"},
        capture_output=True, text=True, timeout=60, check=False,
    )
    assert f"broadcastd: tệp cấu hình {config} ($BROADCASTD_CONFIG)" in said.stderr
    assert "man-lan    Xã Mạn Lạn: 15 khu, 22 cụm loa" in said.stdout


def test_a_configuration_error_is_said_in_vietnamese_by_default(tmp_path: Path) -> None:
    config = tmp_path / "site.yaml"
    config.write_text("paths: {schedule: x}\n", encoding="utf-8")
    command = [sys.executable, "-m", "broadcastd", "validate"]
    env = {"BROADCASTD_CONFIG": str(config), "PATH": "/usr/bin:/bin"}
    said = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=60, check=False)
    assert said.returncode == 2
    assert said.stderr.splitlines()[1:] == [
        "lỗi cấu hình:",
        (f"{config}: dòng 1: paths -> schedule: không có mục `schedule` (có phải là "
        "`schedules`?)"),
    ]
    english = subprocess.run(command, cwd=tmp_path, env={**env, "LANG": "en_GB.UTF-8"},
                             capture_output=True, text=True, timeout=60, check=False)
    assert english.stderr.splitlines()[1:] == [
        "configuration errors:",
        (f"{config}: line 1: paths -> schedule: unknown key `schedule` (did you mean "
        "`schedules`?)"),
    ]
