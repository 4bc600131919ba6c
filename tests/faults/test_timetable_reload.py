"""A reload that meets an unreadable timetable, against the real daemon.

One commune's file turns into something the YAML reader cannot take (a NUL byte, an
alias bomb, 5,000 nested brackets) while another commune's file gets a valid edit:
the broken commune keeps its slots, the other's edit applies, the problem is shown
and counted, and SIGTERM still stops the daemon within the unit's stop timeout,
whether it comes after the reload or in the middle of it.
"""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import pytest

import tests.service.conftest  # noqa: F401 - first: it and the harness import each other
from tests.conftest import free_port
from tests.integration.conftest import audio_library  # noqa: F401 - a fixture
from tests.integration.site import Site
from tests.service.harness import Commune, eventually, scrape, unit_stop_timeout_s, value

pytestmark = pytest.mark.integration

BILLION_LAUGHS = 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n' + "".join(
    f"a{n}: &a{n} [" + ", ".join([f"*a{n - 1}"] * 9) + "]\n" for n in range(1, 9)
)


def unreadable(kind: str, valid: str) -> bytes:
    if kind == "nul byte":
        return valid.replace("morning", "morn\x00ing", 1).encode()
    if kind == "alias bomb":
        return (valid + BILLION_LAUGHS).encode()
    return (valid + "note: " + "[" * 5000 + "\n").encode()


@pytest.fixture
def site(
    tmp_path: Path, audio_library: Path, mosquitto: tuple[str, int], topic_prefix: str  # noqa: F811
) -> Iterator[Site]:
    made = Site(root=tmp_path, library=audio_library, prefix=topic_prefix, http_port=free_port())
    yield made
    if made.alive():
        made.stop()


def planned(site: Site) -> dict[str, datetime]:
    schedule = site.get("/schedule", hours=6)
    return {o["broadcast_id"]: datetime.fromisoformat(o["start"]) for o in schedule["occurrences"]}


def two_communes(site: Site) -> tuple[Commune, Commune, Path, Path]:
    """Commune `broken` (the site's own file) and `edited`, both valid and running."""
    broken, edited = Commune.unique(), Commune.unique()
    site.write(broken.timetable({"morning": broken.window(3600, 120)}))
    broken_file = site.root / "schedules" / f"{site.commune}.yaml"
    edited_file = site.root / "schedules" / f"{edited.id}.yaml"
    edited_file.write_text(json.dumps(edited.timetable({"morning": edited.window(5400, 120)})))
    return broken, edited, broken_file, edited_file


def stop_promptly(site: Site) -> None:
    assert site.process is not None
    site.process.send_signal(signal.SIGTERM)
    assert site.process.wait(unit_stop_timeout_s()) == 0, site.log()
    site.process = None
    assert "Traceback" not in site.log()


@pytest.mark.parametrize("kind", ["nul byte", "alias bomb", "5000 nested ["])
def test_an_unreadable_file_keeps_its_commune_and_the_others_edit_applies(
    site: Site, kind: str
) -> None:
    broken, edited, broken_file, edited_file = two_communes(site)
    site.start()
    before = planned(site)
    assert len(before) == 2
    kept = next(bid for bid in before if bid.startswith(broken.id))

    moved = edited.window(7200, 120)
    edited_file.write_text(json.dumps(edited.timetable({"morning": moved})))
    broken_file.write_bytes(unreadable(kind, broken_file.read_text(encoding="utf-8")))
    assert site.process is not None
    site.process.send_signal(signal.SIGHUP)

    expected = {kept: before[kept], edited.broadcast_id("morning", moved): moved.start}
    assert eventually(lambda: planned(site) == expected), site.log()
    health = site.get("/healthz", lang="en")
    assert health["status"] == "ok"
    assert health["checks"]["timetables"]["ok"] is False
    assert any(
        str(broken_file) in problem and "this is not valid YAML" in problem and "Fix:" in problem
        for problem in health["problems"]
    ), health["problems"]
    assert any(f"commune {broken.id} stays in force" in p for p in health["problems"])
    assert value(scrape(site.base_url), "broadcastd_reload_failures_total") >= 1
    stop_promptly(site)


def test_sigterm_in_the_middle_of_a_reload_of_an_alias_bomb_stops_the_daemon(site: Site) -> None:
    _, _, broken_file, _ = two_communes(site)
    site.start()
    broken_file.write_bytes(unreadable("alias bomb", broken_file.read_text(encoding="utf-8")))
    assert site.process is not None
    site.process.send_signal(signal.SIGHUP)
    time.sleep(0.2)  # the reload (and the file watch) under way
    stop_promptly(site)


@pytest.mark.parametrize("kind", ["nul byte", "alias bomb"])
def test_the_daemon_starts_with_the_other_communes_when_one_file_is_unreadable(
    site: Site, kind: str
) -> None:
    _, edited, broken_file, _ = two_communes(site)
    broken_file.write_bytes(unreadable(kind, broken_file.read_text(encoding="utf-8")))
    site.start()
    assert {o["commune"] for o in site.get("/schedule", hours=6)["occurrences"]} == {edited.id}
    problems = site.get("/healthz", lang="en")["problems"]
    assert any(p.startswith(f"{broken_file}:") and "Fix:" in p for p in problems), problems
    assert any(f"{broken_file}: left out until its errors are fixed" in p for p in problems)
    said = site.get("/healthz")["problems"]  # Vietnamese unless asked otherwise
    assert any(p.startswith(f"{broken_file}:") and "Cách sửa:" in p for p in said), said
    assert f"{broken_file}: chưa được áp dụng cho đến khi sửa xong các lỗi" in said
    stop_promptly(site)
