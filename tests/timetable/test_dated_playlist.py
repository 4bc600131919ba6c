"""Today only: a slot's playlist replaced on one date with `on:`, without copying the
slot (issue 13). Planned on the commune's date, checked like any playlist."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from broadcastd.audio.catalogue import Catalogue
from broadcastd.planning.occurrences import Occurrence, plan
from broadcastd.timetable.loader import TimetableSet, load_timetables
from broadcastd.timetable.model import Timetable
from broadcastd.timetable.source import read_yaml

from .helpers import BASE, BULLETINS, line_with, write_library

Write = Callable[[str, str], Path]
HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
TUESDAY, WEDNESDAY = date(2026, 12, 1), date(2026, 12, 2)

DATED = """\
    on:
      - date: 2026-12-02
        title: "Bản tin bầu cử"
        note: "Thông báo bầu cử trưởng thôn"
        playlist:
          - audio: nhac-hieu
          - stream: http://relay.example/bau-cu
            duration_s: 1500
"""


def with_dated(dated: str = DATED) -> str:
    return BASE + dated


def timetable(text: str) -> Timetable:
    data, _ = read_yaml(text)
    return Timetable.model_validate(data)


def morning_of(found: list[Occurrence], day: date) -> Occurrence:
    (occurrence,) = [o for o in found if o.local_date == day]
    return occurrence


def test_the_dated_playlist_plays_that_date_only() -> None:
    week = plan([timetable(with_dated())], datetime(2026, 11, 30, tzinfo=UTC),
                datetime(2026, 12, 4, tzinfo=UTC))
    special = morning_of(week, WEDNESDAY)
    assert [item.audio or item.stream for item in special.playlist] == [
        "nhac-hieu", "http://relay.example/bau-cu"]
    assert special.title == "Bản tin bầu cử"
    assert special.start == datetime.combine(WEDNESDAY, time(5, 30), HANOI)  # same window
    assert special.clusters == ("loa-01", "loa-02", "loa-03")
    usual = [o for o in week if o.local_date != WEDNESDAY]
    assert len(usual) == 3
    assert all([i.stream for i in o.playlist] == ["http://relay.example/live"] for o in usual)


def test_the_date_is_the_communes_across_midnight_utc() -> None:
    """05:30 on 2 December in Hanoi is 22:30 UTC on 1 December."""
    evening_utc = plan([timetable(with_dated())], datetime(2026, 12, 1, 20, tzinfo=UTC),
                       datetime(2026, 12, 2, 0, tzinfo=UTC))
    (occurrence,) = evening_utc
    assert occurrence.broadcast_id == "thu-nghiem/morning/2026-12-02"
    assert occurrence.start == datetime(2026, 12, 1, 22, 30, tzinfo=UTC)
    assert occurrence.playlist[0].audio == "nhac-hieu"


def test_a_reload_that_adds_it_changes_that_date_only() -> None:
    """What the daemon compares at a reload: only 2 December's broadcast differs (and,
    if already sent, goes out as its revision); the other days' are untouched."""
    window = (datetime(2026, 11, 30, tzinfo=UTC), datetime(2026, 12, 4, tzinfo=UTC))
    before = {o.broadcast_id: o.fingerprint for o in plan([timetable(BASE)], *window)}
    after = {o.broadcast_id: o.fingerprint for o in plan([timetable(with_dated())], *window)}
    assert before.keys() == after.keys()
    changed = [bid for bid in before if before[bid] != after[bid]]
    assert changed == ["thu-nghiem/morning/2026-12-02"]


@pytest.fixture
def library(tmp_path: Path) -> Catalogue:
    return Catalogue.load(write_library(tmp_path / "audio_library", dict.fromkeys(BULLETINS, 20.0)))


def load(write: Write, text: str, catalogue: Catalogue | None = None) -> TimetableSet:
    return load_timetables([write("t.yaml", text)], catalogue)


def test_a_dated_playlist_is_checked_like_the_slots_own(write: Write, library: Catalogue) -> None:
    text = with_dated(DATED.replace("audio: nhac-hieu", "audio: nhac-hieuu").replace(
        "duration_s: 1500", "duration_s: 1790"))
    found = load(write, text, library)
    shown = {(p.line, p.key_path, p.message) for p in found.errors}
    assert (
        line_with(text, "nhac-hieuu"),
        "slots -> morning -> on -> 2026-12-02 -> playlist -> #1 -> audio",
        ("slot `morning` on 2026-12-02 plays audio `nhac-hieuu`, which is not in the catalogue "
        "(did you mean `nhac-hieu`?)"),
    ) in shown
    fixed = with_dated(DATED.replace("duration_s: 1500", "duration_s: 1790"))
    (too_long,) = load(write, fixed, library).errors
    assert too_long.key_path == "slots -> morning -> on -> 2026-12-02 -> playlist"
    assert "slot `morning` on 2026-12-02 lasts 30:10" in too_long.message
    assert "by 0:10" in too_long.message


def test_a_date_the_slot_does_not_play_is_a_warning(write: Write) -> None:
    text = with_dated().replace('    end: "06:00"', '    end: "06:00"\n    days: [thứ hai]')
    found = load(write, text)
    assert found.errors == []
    (warning,) = found.warnings
    assert warning.line == line_with(text, "- date: 2026-12-02")
    assert "does not play on 2026-12-02 (wed)" in warning.message


def test_two_playlists_for_one_date_are_an_error(write: Write) -> None:
    second = DATED.split("\n", 1)[1]
    (problem,) = load(write, with_dated(DATED + second)).errors
    assert "two playlists for 2026-12-02" in problem.message
