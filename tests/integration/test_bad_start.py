"""A daemon started on a broken tree keeps running what is right and says what is wrong."""

from __future__ import annotations

import socket
import subprocess
import sys
import time

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
            [sys.executable, "-m", "broadcastd", "run", "--config", str(site.config)],
            capture_output=True, text=True, timeout=30, check=False,
        )
    assert result.returncode == 1
    assert f"127.0.0.1:{site.http_port}" in result.stderr
    assert "change http.listen" in result.stderr
