"""deploy/: the unit passes `systemd-analyze verify`, and install.sh / uninstall.sh do
what they say in a throwaway root (DESTDIR), twice in a row."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
from pathlib import Path

import pytest
import yaml

from broadcastd.service.mosquitto_acl import read_credentials

ROOT = Path(__file__).resolve().parents[2]
UNIT = ROOT / "deploy/broadcastd.service"
EXEC_START = "/opt/broadcastd/venv/bin/broadcastd"

TIMETABLE = """\
commune: {id: man-lan, name: Xã Mạn Lạn}
areas:
  - {id: khu-1, name: Khu 1, clusters: [c01, c02]}
  - {id: khu-2, name: Khu 2, clusters: [c03]}
slots: []
"""


def unit_settings(text: str) -> dict[str, list[str]]:
    """Key -> values (a key may repeat, as systemd allows)."""
    settings: dict[str, list[str]] = {}
    for line in text.splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            settings.setdefault(key.strip(), []).append(value.strip())
    return settings


def test_the_unit_says_what_the_service_needs() -> None:
    unit = unit_settings(UNIT.read_text())

    assert unit["Type"] == ["notify"]
    assert unit["ExecStart"] == [f"{EXEC_START} run --config /etc/broadcastd/broadcastd.yaml"]
    assert unit["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert unit["WatchdogSec"] == ["30"]
    assert unit["Restart"] == ["on-failure"]
    # `broadcastd run` exits 2 on start-up errors a restart cannot fix (cli.EXIT_SETUP).
    assert unit["RestartPreventExitStatus"] == ["2"]
    # Far above http.max_connections: idle connections cannot exhaust descriptors.
    assert int(unit["LimitNOFILE"][0]) >= 4 * 1000
    assert unit["User"] == ["broadcastd"]
    assert unit["StateDirectory"] == ["broadcastd"]
    assert unit["ProtectSystem"] == ["strict"]
    assert "mosquitto.service" in unit["Wants"][0]
    assert "Requires" not in unit
    for target in ("network-online.target", "time-sync.target"):
        assert target in unit["After"][0] and target in unit["Wants"][0]


def system_tools_root(root: Path) -> None:
    """Make `root` a root systemd-analyze can verify in: the system's own units, the
    commands ExecStart/ExecReload name (a stand-in for the venv's, which the staging
    install does not build)."""
    shutil.copytree("/usr/lib/systemd/system", root / "usr/lib/systemd/system", symlinks=True,
                    dirs_exist_ok=True)
    (root / "usr/bin").mkdir(parents=True, exist_ok=True)
    shutil.copy("/usr/bin/kill", root / "usr/bin/kill")
    if not (root / "bin").exists():
        (root / "bin").symlink_to("usr/bin")
    stand_in = root / EXEC_START.lstrip("/")
    stand_in.parent.mkdir(parents=True, exist_ok=True)
    stand_in.write_text("#!/bin/sh\n")
    stand_in.chmod(0o755)


def verify(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["systemd-analyze", "verify", f"--root={root}", "/etc/systemd/system/broadcastd.service"],
        capture_output=True, text=True, check=False,
    )


needs_systemd_analyze = pytest.mark.skipif(
    shutil.which("systemd-analyze") is None or not Path("/usr/lib/systemd/system").is_dir(),
    reason="systemd-analyze is needed (apt-get install systemd)",
)


@needs_systemd_analyze
def test_systemd_analyze_reports_faults_in_a_broken_copy(tmp_path: Path) -> None:
    system_tools_root(tmp_path)
    units = tmp_path / "etc/systemd/system"
    units.mkdir(parents=True)
    broken = UNIT.read_text().replace("WatchdogSec=30", "WatchdogSec=half a minute")
    broken = broken.replace("ProtectHome=yes", "ProtectHom=yes")
    (units / "broadcastd.service").write_text(broken)

    result = verify(tmp_path)

    # verify exits 0 on unknown keys and bad values: its output is the verdict.
    assert "Failed to parse sec value, ignoring: half a minute" in result.stderr
    assert "Unknown key 'ProtectHom'" in result.stderr


def run_script(name: str, root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "DESTDIR": str(root), "LAN_ADDRESS": "10.0.0.2"}
    return subprocess.run(
        ["bash", str(ROOT / "deploy" / name), *args], env=env, capture_output=True, text=True,
        check=False,
    )


@pytest.fixture
def sources(tmp_path: Path) -> tuple[Path, Path]:
    schedules, audio = tmp_path / "src-schedules", tmp_path / "src-audio"
    schedules.mkdir()
    (schedules / "man-lan.yaml").write_text(TIMETABLE, encoding="utf-8")
    (audio / "man-lan").mkdir(parents=True)
    (audio / "man-lan/ban-tin-sang.mp3").write_bytes(b"ID3 shipped bulletin")
    return schedules, audio


def install(root: Path, sources: tuple[Path, Path]) -> subprocess.CompletedProcess[str]:
    schedules, audio = sources
    result = run_script("install.sh", root, "--schedules", str(schedules), "--audio", str(audio))
    assert result.returncode == 0, result.stdout + result.stderr
    return result


def test_install_in_a_staging_root_produces_every_file(
    tmp_path: Path, sources: tuple[Path, Path]
) -> None:
    root = tmp_path / "root"
    install(root, sources)

    etc = root / "etc/broadcastd"
    assert (etc / "schedules/man-lan.yaml").read_text(encoding="utf-8") == TIMETABLE
    config = (etc / "broadcastd.yaml").read_text()
    assert "public_base_url: http://10.0.0.2:8080" in config
    assert "sqlite:////var/lib/broadcastd/broadcastd.db" in config
    assert (root / "etc/systemd/system/broadcastd.service").read_text() == UNIT.read_text()
    assert (root / "var/lib/broadcastd/audio_library/man-lan/ban-tin-sang.mp3").exists()
    assert (root / "opt/broadcastd/docs/operations.md").exists()
    assert (root / "etc/mosquitto/conf.d/broadcastd.conf").read_text() == (
        ROOT / "deploy/mosquitto/broadcastd.conf"
    ).read_text()

    credentials = read_credentials(etc / "mqtt-credentials")
    assert sorted(credentials) == ["broadcastd", "man-lan.c01", "man-lan.c02", "man-lan.c03"]
    assert stat.S_IMODE((etc / "mqtt-credentials").stat().st_mode) == 0o600
    env = (etc / "broadcastd.env").read_text()
    assert f"BROADCASTD_MQTT_PASSWORD={credentials['broadcastd']}\n" in env
    acl = (root / "etc/mosquitto/broadcastd.acl").read_text()
    assert "user man-lan.c03\ntopic read broadcast/man-lan/c03/cmd\n" in acl
    if shutil.which("mosquitto_passwd"):
        hashed = (root / "etc/mosquitto/broadcastd.passwd").read_text()
        assert sorted(line.split(":")[0] for line in hashed.splitlines()) == sorted(credentials)
        assert all(password not in hashed for password in credentials.values())


def listeners(conf: str) -> list[str]:
    return [line for line in conf.splitlines() if line.startswith("listener ")]


def test_mosquitto_takes_clusters_on_tls_only_and_the_daemon_on_loopback() -> None:
    conf = (ROOT / "deploy/mosquitto/broadcastd.conf").read_text()
    assert listeners(conf) == ["listener 8883", "listener 1883 127.0.0.1"]
    tls_part = conf.split("listener 8883", 1)[1].split("listener 1883", 1)[0]
    for key in ("cafile", "certfile", "keyfile"):
        assert f"\n{key} /etc/mosquitto/certs/broadcastd-" in tls_part
    daemon = yaml.safe_load((ROOT / "deploy/broadcastd.yaml").read_text())
    assert daemon["broker"]["url"] == "mqtt://127.0.0.1:1883"


needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs openssl")


def san(certificate: Path) -> str:
    return subprocess.run(
        ["openssl", "x509", "-in", str(certificate), "-noout", "-ext", "subjectAltName"],
        capture_output=True, text=True, check=True,
    ).stdout


@needs_openssl
def test_install_makes_a_commune_ca_and_a_broker_certificate_once(
    tmp_path: Path, sources: tuple[Path, Path]
) -> None:
    root = tmp_path / "root"
    first = install(root, sources)
    tls, certs = root / "etc/broadcastd/tls", root / "etc/mosquitto/certs"

    verified = subprocess.run(
        ["openssl", "verify", "-CAfile", str(certs / "broadcastd-ca.crt"),
         str(certs / "broadcastd-server.crt")],
        capture_output=True, text=True, check=False,
    )
    assert verified.returncode == 0, verified.stderr
    assert "IP Address:10.0.0.2" in san(certs / "broadcastd-server.crt")
    assert stat.S_IMODE((tls / "ca.key").stat().st_mode) == 0o600
    assert stat.S_IMODE((certs / "broadcastd-server.key").stat().st_mode) == 0o640
    assert "/etc/broadcastd/tls/ca.crt" in first.stdout  # where the vendor's CA is
    ca = (tls / "ca.crt").read_bytes()

    install(root, sources)

    assert (tls / "ca.crt").read_bytes() == ca  # clusters that trust it keep trusting


@needs_openssl
def test_install_uses_the_operators_own_certificate(
    tmp_path: Path, sources: tuple[Path, Path]
) -> None:
    own = tmp_path / "own"
    subprocess.run(["bash", str(ROOT / "deploy/make-certs.sh"), str(own), "radio.example"],
                   check=True, capture_output=True)
    root = tmp_path / "root"
    schedules, audio = sources
    result = run_script(
        "install.sh", root, "--schedules", str(schedules), "--audio", str(audio),
        "--tls-cert", str(own / "server.crt"), "--tls-key", str(own / "server.key"),
        "--tls-ca", str(own / "ca.crt"),
    )
    assert result.returncode == 0, result.stderr
    certs = root / "etc/mosquitto/certs"
    assert (certs / "broadcastd-server.crt").read_bytes() == (own / "server.crt").read_bytes()
    assert (certs / "broadcastd-ca.crt").read_bytes() == (own / "ca.crt").read_bytes()
    assert not (root / "etc/broadcastd/tls/ca.key").exists()  # no CA of ours was made


def test_install_twice_keeps_what_the_operator_changed(
    tmp_path: Path, sources: tuple[Path, Path]
) -> None:
    root = tmp_path / "root"
    install(root, sources)
    etc = root / "etc/broadcastd"
    passwords = read_credentials(etc / "mqtt-credentials")
    edited_config = (etc / "broadcastd.yaml").read_text().replace("0.0.0.0:8080", "0.0.0.0:9090")
    (etc / "broadcastd.yaml").write_text(edited_config)
    (etc / "schedules/man-lan.yaml").write_text(TIMETABLE + "# edited\n", encoding="utf-8")
    replaced_audio = root / "var/lib/broadcastd/audio_library/man-lan/ban-tin-sang.mp3"
    replaced_audio.write_bytes(b"ID3 the commune's own recording")

    second = install(root, sources)

    assert (etc / "broadcastd.yaml").read_text() == edited_config
    assert "listen: 0.0.0.0:8080" in (etc / "broadcastd.yaml.dist").read_text()
    assert "broadcastd.yaml.dist" in second.stdout
    assert (etc / "schedules/man-lan.yaml").read_text(encoding="utf-8").endswith("# edited\n")
    assert replaced_audio.read_bytes() == b"ID3 the commune's own recording"
    assert read_credentials(etc / "mqtt-credentials") == passwords


def test_install_refuses_an_unknown_option(tmp_path: Path) -> None:
    result = run_script("install.sh", tmp_path / "root", "--no-ap")

    assert result.returncode == 2
    assert "--no-ap" in result.stderr


@needs_systemd_analyze
def test_the_installed_unit_passes_systemd_analyze_verify(
    tmp_path: Path, sources: tuple[Path, Path]
) -> None:
    root = tmp_path / "root"
    install(root, sources)
    system_tools_root(root)

    result = verify(root)

    assert result.returncode == 0, result.stderr
    assert result.stderr == "" and result.stdout == ""


def test_uninstall_twice_removes_all_but_the_data(
    tmp_path: Path, sources: tuple[Path, Path]
) -> None:
    root = tmp_path / "root"
    install(root, sources)
    database = root / "var/lib/broadcastd/broadcastd.db"
    database.write_bytes(b"SQLite format 3\0")

    first = run_script("uninstall.sh", root)
    second = run_script("uninstall.sh", root)

    assert (first.returncode, second.returncode) == (0, 0), first.stderr + second.stderr
    assert not (root / "etc/broadcastd").exists()
    assert not (root / "opt/broadcastd").exists()
    assert not (root / "etc/systemd/system/broadcastd.service").exists()
    assert list((root / "etc/mosquitto").rglob("*broadcastd*")) == []
    assert database.read_bytes() == b"SQLite format 3\0"
    assert (root / "var/lib/broadcastd/audio_library/man-lan/ban-tin-sang.mp3").exists()
    (backup,) = (root / "var/lib/broadcastd").glob("config-backup-*")
    assert (backup / "schedules/man-lan.yaml").read_text(encoding="utf-8") == TIMETABLE
    assert "kept the data" in first.stdout


def test_the_production_config_is_one_the_daemon_accepts() -> None:
    from broadcastd.settings import Settings

    text = (ROOT / "deploy/broadcastd.yaml").read_text().replace("@LAN_ADDRESS@", "10.0.0.2")
    settings = Settings.model_validate(yaml.safe_load(text))

    assert settings.broker.password_env == "BROADCASTD_MQTT_PASSWORD"
    assert str(settings.paths.audio_library).startswith("/var/lib/broadcastd/")
    assert settings.database.url == "sqlite:////var/lib/broadcastd/broadcastd.db"
