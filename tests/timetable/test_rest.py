"""A relay that fills the rest of its slot (`duration_s: rest`, or none on the last
stream; issue 13): a longer bulletin shortens the relay instead of breaking the
timetable, and the clusters are told the relay's length that is left."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from broadcastd.audio.catalogue import Catalogue
from broadcastd.delivery.playlist import PlaylistResolver
from broadcastd.planning.occurrences import plan
from broadcastd.timetable.loader import TimetableSet, load_timetables

from .helpers import BASE, write_library

Write = Callable[[str, str], Path]
RELAY = "      - stream: http://relay.example/live\n        duration_s: rest\n"


def with_items(bulletins: int, end: str = '"05:31"') -> str:
    """`bulletins` recordings of 20 s, then the relay, in 05:30-`end`."""
    items = "".join(f"      - audio: b{n}\n" for n in range(bulletins)) + RELAY
    return BASE.replace('end: "06:00"', f"end: {end}").replace(
        "      - stream: http://relay.example/live\n        duration_s: 1700\n", items)


def load(write: Write, tmp_path: Path, text: str) -> tuple[TimetableSet, Catalogue]:
    catalogue = Catalogue.load(write_library(tmp_path / "lib", {f"b{n}": 20.0 for n in range(5)}))
    return load_timetables([write("t.yaml", text)], catalogue), catalogue


def test_a_longer_bulletin_shortens_the_relay_and_still_fits(write: Write, tmp_path: Path) -> None:
    for bulletins in (1, 2, 3):  # 20 s, 40 s, 60 s of a 60 s window
        found, _ = load(write, tmp_path, with_items(bulletins))
        assert found.ok and found.problems == [], [str(p) for p in found.problems]


def test_bulletins_longer_than_the_window_still_overrun(write: Write, tmp_path: Path) -> None:
    found, _ = load(write, tmp_path, with_items(4))
    (problem,) = found.errors
    assert "lasts 1:20, longer than its window (05:30-05:31, 1:00) by 0:20" in problem.message


def test_the_clusters_get_the_rest_across_midnight_utc(write: Write, tmp_path: Path) -> None:
    """05:30-06:00 in Hanoi is 22:30-23:00 UTC the day before: the relay after two
    20 s bulletins is told 1,760 s, and 1,740 s once a bulletin is a longer one."""
    found, catalogue = load(write, tmp_path, with_items(2, end='"06:00"'))
    timetable = found.timetables[0].timetable
    (occurrence,) = plan([timetable], datetime(2026, 11, 30, 22, 0, tzinfo=UTC),
                         datetime(2026, 11, 30, 23, 59, tzinfo=UTC))
    assert occurrence.broadcast_id == "thu-nghiem/morning/2026-12-01"
    length = (occurrence.end - occurrence.start).total_seconds()
    items = PlaylistResolver(lambda: catalogue, "http://x").items(
        occurrence.playlist, occurrence.broadcast_id, length)
    assert [i.duration_s for i in items] == [20.0, 20.0, 1760.0]

    longer = Catalogue.load(write_library(tmp_path / "lib2", {"b0": 40.0, "b1": 20.0}))
    items = PlaylistResolver(lambda: longer, "http://x").items(
        occurrence.playlist, occurrence.broadcast_id, length)
    assert [i.duration_s for i in items] == [40.0, 20.0, 1740.0]
