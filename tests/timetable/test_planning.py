"""Occurrence planning at chosen instants: which broadcasts are live, which come next."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from broadcastd.planning.occurrences import Occurrence, live_at, next_occurrence, occurrences, plan
from broadcastd.timetable.loader import load_timetables
from broadcastd.timetable.model import Timetable
from broadcastd.timetable.source import read_yaml

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
REPO = Path(__file__).resolve().parents[2]

TEXT = """\
commune: {id: man-lan, name: "Xã Mạn Lạn"}
areas:
  - {id: khu-1, name: "Khu 1", clusters: [loa-01, loa-02]}
  - {id: khu-2, name: "Khu 2", clusters: [loa-03]}
slots:
  - id: morning
    start: 05:30
    end: 06:00
    playlist: [{stream: "http://relay.example/live", duration_s: 1700}]
  - id: health
    days: [mon, thu]
    start: "06:30"
    end: "06:40"
    target: {areas: [khu-2]}
    playlist: [{stream: "http://relay.example/health", duration_s: 500}]
  - id: late
    start: "23:30"
    end: "23:59:59"
    playlist: [{stream: "http://relay.example/late", duration_s: 1700}]
exceptions:
  - date: 2027-02-06
    note: "Mùng 1 Tết"
    skip: [morning]
  - date: 2026-12-05
    add:
      - id: tiem-chung
        start: "00:00"
        end: "00:10"
        priority: 50
        playlist: [{stream: "http://relay.example/health", duration_s: 500}]
"""


@pytest.fixture(scope="module")
def timetable() -> Timetable:
    data, _ = read_yaml(TEXT)
    return Timetable.model_validate(data)


def hanoi(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute, second), tzinfo=HANOI)


SUNDAY = date(2026, 11, 29)
MONDAY = date(2026, 11, 30)


def ids(found: Sequence[Occurrence]) -> list[str]:
    return [occ.broadcast_id for occ in found]


def test_before_a_slot_nothing_is_live_and_the_slot_is_next(timetable: Timetable) -> None:
    now = hanoi(MONDAY, 5, 29, 59)
    assert live_at([timetable], now) == []
    upcoming = next_occurrence(timetable, now)
    assert upcoming is not None
    assert upcoming.broadcast_id == "man-lan/morning/2026-11-30"
    assert upcoming.start == hanoi(MONDAY, 5, 30)


def test_inside_a_slot_it_is_live_with_its_original_window(timetable: Timetable) -> None:
    (live,) = live_at([timetable], hanoi(MONDAY, 5, 40))
    assert live.broadcast_id == "man-lan/morning/2026-11-30"
    assert (live.start, live.end) == (hanoi(MONDAY, 5, 30), hanoi(MONDAY, 6, 0))
    assert live.clusters == ("loa-01", "loa-02", "loa-03")


def test_at_its_end_a_slot_is_no_longer_live(timetable: Timetable) -> None:
    now = hanoi(MONDAY, 6, 0)
    assert live_at([timetable], now) == []
    upcoming = next_occurrence(timetable, now)
    assert upcoming is not None and upcoming.broadcast_id == "man-lan/health/2026-11-30"
    assert upcoming.clusters == ("loa-03",)


def test_weekday_rules_use_the_communes_local_date(timetable: Timetable) -> None:
    # Monday 06:30 in Hanoi is Sunday 23:30 UTC: still Monday's health slot.
    sunday_evening_utc = datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
    found = occurrences(timetable, sunday_evening_utc, sunday_evening_utc + timedelta(hours=1))
    health = [occ for occ in found if occ.slot == "health"]
    assert ids(health) == ["man-lan/health/2026-11-30"]
    assert health[0].start.astimezone(UTC) == datetime(2026, 11, 29, 23, 30, tzinfo=UTC)
    # Monday 05:30 in Hanoi is 22:30 UTC on Sunday.
    (morning,) = live_at([timetable], datetime(2026, 11, 29, 22, 35, tzinfo=UTC))
    assert morning.broadcast_id == "man-lan/morning/2026-11-30"
    # Sunday in Hanoi (Saturday evening UTC) has no health slot.
    saturday_utc = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)
    found = occurrences(timetable, saturday_utc, saturday_utc + timedelta(hours=1))
    assert [occ for occ in found if occ.slot == "health"] == []


def test_dated_skip_removes_only_that_day(timetable: Timetable) -> None:
    tet = date(2027, 2, 6)
    found = occurrences(timetable, hanoi(tet, 0), hanoi(tet + timedelta(days=1), 0))
    assert ids(found) == ["man-lan/late/2027-02-06"]
    day_after = tet + timedelta(days=1)
    found = occurrences(timetable, hanoi(day_after, 0), hanoi(day_after, 12))
    assert ids(found) == ["man-lan/morning/2027-02-07"]


def test_dated_add_plays_once_on_its_date(timetable: Timetable) -> None:
    day = date(2026, 12, 5)
    found = occurrences(timetable, hanoi(day, 0), hanoi(day, 12))
    assert ids(found) == ["man-lan/tiem-chung/2026-12-05", "man-lan/morning/2026-12-05"]
    assert found[0].priority == 50
    next_day = day + timedelta(days=1)
    assert "tiem-chung" not in {
        occ.slot for occ in occurrences(timetable, hanoi(next_day, 0), hanoi(next_day, 12))
    }


def test_midnight_boundary_between_two_local_dates(timetable: Timetable) -> None:
    eve = date(2026, 12, 4)
    found = occurrences(timetable, hanoi(eve, 23, 45), hanoi(eve + timedelta(days=1), 0, 5))
    assert ids(found) == ["man-lan/late/2026-12-04", "man-lan/tiem-chung/2026-12-05"]
    assert [occ.local_date for occ in found] == [eve, date(2026, 12, 5)]
    assert ids(live_at([timetable], hanoi(eve, 23, 59, 59))) == []
    assert ids(live_at([timetable], hanoi(date(2026, 12, 5), 0))) == [
        "man-lan/tiem-chung/2026-12-05"
    ]


def test_the_same_occurrence_has_the_same_broadcast_id_when_planned_twice(
    timetable: Timetable,
) -> None:
    early = plan([timetable], hanoi(MONDAY, 0), hanoi(MONDAY, 12))
    restart = plan([timetable], hanoi(MONDAY, 5, 41), hanoi(MONDAY, 5, 42))
    morning = [occ for occ in early if occ.slot == "morning"]
    assert ids(restart) == ids(morning) == ["man-lan/morning/2026-11-30"]
    assert restart[0] == morning[0]


def test_planning_refuses_naive_times(timetable: Timetable) -> None:
    with pytest.raises(ValueError, match="aware"):
        occurrences(timetable, datetime(2026, 11, 30, 5, 0), datetime(2026, 11, 30, 6, 0))


def test_shipped_man_lan_morning_reaches_all_22_clusters() -> None:
    found = load_timetables([REPO / "schedules"], None)
    communes = found.by_commune()
    live = live_at(communes.values(), hanoi(MONDAY, 5, 40))
    assert ids(live) == ["man-lan/morning/2026-11-30"]
    assert len(live[0].clusters) == 22
    # Khải Xuân's morning starts at 06:00: next after Mạn Lạn's.
    upcoming = next_occurrence(communes["khai-xuan"], hanoi(MONDAY, 5, 40))
    assert upcoming is not None and upcoming.broadcast_id == "khai-xuan/morning/2026-11-30"


def test_a_playlist_without_fallback_keeps_the_fingerprint_it_was_sent_with() -> None:
    """The digest a daemon before `fallback:` stored (issue 8): equal, so an upgrade
    does not resend every open broadcast as a new revision; a fallback changes it."""
    data = {
        "commune": {"id": "man-lan", "name": "X"},
        "areas": [{"id": "khu-1", "name": "K", "clusters": ["loa-01"]}],
        "slots": [{"id": "morning", "start": "05:30", "end": "06:00", "playlist": [
            {"audio": "nhac-hieu"},
            {"stream": "http://relay.example/live", "duration_s": 1700, "title": "T"},
        ]}],
    }
    since, until = datetime(2026, 11, 28, 20, tzinfo=UTC), datetime(2026, 11, 29, 2, tzinfo=UTC)
    (sent,) = occurrences(Timetable.model_validate(data), since, until)
    assert sent.fingerprint == "a1363c8cfa1a90536ce0ca2c68472c69"
    data["slots"][0]["playlist"][1]["fallback"] = "nhac-hieu"  # type: ignore[index]
    (changed,) = occurrences(Timetable.model_validate(data), since, until)
    assert changed.fingerprint != sent.fingerprint
