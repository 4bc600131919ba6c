"""A daemon started on a broken tree keeps running what is right and says what is wrong."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from .conftest import PLAYLIST
from .site import Site, Slot, timetable, unique_commune


def test_one_communes_typo_does_not_silence_the_others(site: Site) -> None:
    good = Slot.ahead(site.commune, seconds=600, length_s=60)
    site.write(timetable(good, PLAYLIST))
    other = unique_commune()
    broken_data = timetable(Slot.ahead(other, seconds=600, length_s=60), PLAYLIST)
    broken_data["slots"][0]["strat"] = broken_data["slots"][0].pop("start")
    broken = site.root / "schedules" / f"{other}.yaml"
    broken.write_text(yaml.safe_dump(broken_data, allow_unicode=True, sort_keys=False))

    site.start()
    health = site.get("/healthz")
    assert health["status"] == "ok"  # scheduler, broker, database: the daemon works
    problems = [p for p in health["problems"] if other in p]
    assert problems and all(p.startswith(f"{broken}:") for p in problems)
    assert any("`strat`" in p and "`start`" in p for p in problems), problems
    assert site.get("/status")["problems"] == health["problems"]
    planned = {o["commune"] for o in site.get("/schedule", hours=1)["occurrences"]}
    assert planned == {site.commune}

    # The fix is picked up by the file watch, without a restart.
    broken_data["slots"][0]["start"] = broken_data["slots"][0].pop("strat")
    broken.write_text(yaml.safe_dump(broken_data, allow_unicode=True, sort_keys=False))
    deadline = time.monotonic() + 10
    while site.get("/healthz")["problems"] and time.monotonic() < deadline:
        time.sleep(0.2)
    assert site.get("/healthz")["problems"] == []
    planned = {o["commune"] for o in site.get("/schedule", hours=1)["occurrences"]}
    assert planned == {site.commune, other}


def test_a_taken_http_port_is_a_clear_error(site: Site) -> None:
    site.write(timetable(Slot.ahead(site.commune, seconds=600, length_s=60), PLAYLIST))
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", site.http_port))
        taken.listen()
        result = subprocess.run(
            [sys.executable, "-m", "broadcastd", "--lang", "en", "run", "--config", str(site.config)],
            capture_output=True, text=True, timeout=30, check=False,
        )
    assert result.returncode == 1
    assert f"127.0.0.1:{site.http_port}" in result.stderr
    assert "change http.listen" in result.stderr


def run_once(site: Site, timeout: float = 30) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "broadcastd", "--lang", "en", "run", "--config", str(site.config)],
        capture_output=True, text=True, timeout=timeout, check=False,
    )


def restart_prevented(code: int) -> bool:
    """Whether the unit's RestartPreventExitStatus= keeps systemd from restarting on it."""
    unit = (Path(__file__).resolve().parents[2] / "deploy/broadcastd.service").read_text()
    statuses = [
        line.split("=", 1)[1].split()
        for line in unit.splitlines()
        if line.startswith("RestartPreventExitStatus=")
    ]
    return any(str(code) in values for values in statuses)


def error_lines(stderr: str) -> list[str]:
    """What the daemon printed for people: not the JSON log lines, not the config banner."""
    return [
        line for line in stderr.splitlines()
        if line.strip() and not line.startswith(("{", "broadcastd: config "))
    ]


@pytest.mark.parametrize("site", ["sqlite", "postgresql"], indirect=True)
def test_a_second_daemon_on_the_same_database_stops_with_one_line(site: Site) -> None:
    site.write(timetable(Slot.ahead(site.commune, seconds=600, length_s=60), PLAYLIST))
    site.start()
    assert site.process is not None

    second = run_once(site)

    assert second.returncode == 2 and restart_prevented(2)
    assert "Traceback" not in second.stderr
    (line,) = error_lines(second.stderr)
    assert (site.database_url or str(site.database)) in line
    assert "already in use by another broadcastd" in line
    assert f"process {site.process.pid}" in line
    assert site.get("/healthz")["status"] == "ok"  # the first one was left alone


@pytest.fixture
def read_only_folder(tmp_path: Path) -> Iterator[Path]:
    """A folder on a read-only file system (a tmpfs mounted ro, as root), or a folder
    without write permission (as another user)."""
    folder = tmp_path / "readonly"
    folder.mkdir()
    if os.geteuid() != 0:
        folder.chmod(0o555)
        yield folder
        folder.chmod(0o755)
        return
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", str(folder)],
        capture_output=True, text=True, check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a read-only tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


def test_a_database_on_a_read_only_file_system_stops_with_one_line(
    site: Site, read_only_folder: Path
) -> None:
    site.write(timetable(Slot.ahead(site.commune, seconds=600, length_s=60), PLAYLIST))
    database = read_only_folder / "broadcastd.db"
    site.config.write_text(
        site.config.read_text().replace(str(site.database), str(database)), encoding="utf-8"
    )

    result = run_once(site)

    assert result.returncode == 2 and restart_prevented(2)
    assert "Traceback" not in result.stderr
    (line,) = error_lines(result.stderr)
    assert str(database) in line and "cannot write beside the database" in line
    assert "database.url" in line


def test_a_config_error_exits_with_a_status_systemd_does_not_restart_on(site: Site) -> None:
    site.write(timetable(Slot.ahead(site.commune, seconds=600, length_s=60), PLAYLIST))
    site.config.write_text(
        site.config.read_text() + "broker_:\n  url: embedded://0.0.0.0:1884\n", encoding="utf-8"
    )

    result = run_once(site)

    assert result.returncode == 2 and restart_prevented(2)
    assert "unknown key `broker_`" in result.stderr


def test_a_database_that_sqlite_cannot_open_stops_with_one_line(site: Site) -> None:
    site.write(timetable(Slot.ahead(site.commune, seconds=600, length_s=60), PLAYLIST))
    folder = site.root / "not-a-file.db"
    folder.mkdir()  # where the database file should be
    site.config.write_text(
        site.config.read_text().replace(str(site.database), str(folder)), encoding="utf-8"
    )

    result = run_once(site)

    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    (line,) = error_lines(result.stderr)
    assert str(folder) in line and "cannot be opened for writing" in line


@pytest.mark.parametrize("site", ["sqlite", "postgresql"], indirect=True)
def test_a_database_newer_than_the_code_stops_with_one_line(site: Site) -> None:
    """A newer broadcastd upgraded the database, then this older one was started on it."""
    from sqlalchemy import create_engine, text

    from broadcastd.store.engine import make_engine
    from broadcastd.store.migrate import head

    site.write(timetable(Slot.ahead(site.commune, seconds=600, length_s=60), PLAYLIST))
    url = site.database_url or f"sqlite:///{site.database}"
    make_engine(url).dispose()
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    engine.dispose()

    result = run_once(site)

    assert result.returncode == 2 and restart_prevented(2)
    assert "Traceback" not in result.stderr
    (line,) = error_lines(result.stderr)
    assert "schema revision 9999 is newer than this broadcastd knows" in line
    assert f"its newest is {head()}" in line
    assert "install that newer broadcastd" in line and "restore the backup" in line
    vietnamese = subprocess.run(
        [sys.executable, "-m", "broadcastd", "--lang", "vi", "run", "--config", str(site.config)],
        capture_output=True, text=True, timeout=30, check=False,
    )
    assert vietnamese.returncode == 2
    (said,) = [line for line in error_lines(vietnamese.stderr) if "tệp cấu hình" not in line]
    assert "phiên bản lược đồ 9999" in said and "Cách sửa" in said
