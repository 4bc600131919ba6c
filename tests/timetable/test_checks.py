"""Rules across a timetable, the audio catalogue and several timetables."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from broadcastd.audio.catalogue import Catalogue
from broadcastd.timetable.loader import TimetableSet, find_uses, find_uses_of, load_timetables
from broadcastd.timetable.report import validate

from .helpers import BASE, BULLETINS, TWO_SLOTS, audio_timetable, line_with, write_library

Load = Callable[[str], TimetableSet]
Write = Callable[[str, str], Path]
REPO = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)  # 09:00 in Hanoi, a Sunday

def errors(found: TimetableSet) -> list[tuple[int | None, str, str]]:
    return [(p.line, p.key_path, p.message) for p in found.errors]


def test_duplicate_area_and_slot_ids(load: Load) -> None:
    text = BASE.replace("  - id: khu-2", "  - id: khu-1") + BASE[BASE.index("  - id: morning"):]
    second_area = [n for n, line in enumerate(text.splitlines(), 1) if "- id: khu-1" in line][1]
    second_slot = [n for n, line in enumerate(text.splitlines(), 1) if "- id: morning" in line][1]
    assert errors(load(text)) == [
        (second_area, "areas -> khu-1 -> id",
         "the area id `khu-1` is used twice (also by area number 1)"),
        (second_slot, "slots -> morning -> id",
         "the slot id `morning` is used twice (also by slot number 1)"),
    ]


def test_cluster_listed_twice_in_one_area(load: Load) -> None:
    text = BASE.replace("clusters: [loa-03]", "clusters: [loa-03, loa-03]")
    (problem,) = load(text).errors
    assert (problem.line, problem.key_path) == (
        line_with(text, "[loa-03, loa-03]"), "areas -> khu-2 -> clusters -> #2"
    )
    assert problem.message == "cluster `loa-03` is listed twice in area `khu-2`"


def test_cluster_in_two_different_areas_names_both(load: Load) -> None:
    text = BASE.replace("clusters: [loa-03]", "clusters: [loa-01]")
    (problem,) = load(text).errors
    assert problem.line == line_with(text, "clusters: [loa-01]")
    assert problem.message == "cluster `loa-01` is in two areas: `khu-1` and `khu-2`"


def test_target_naming_unknown_area_and_cluster(load: Load) -> None:
    text = BASE.replace(
        '    end: "06:00"', '    end: "06:00"\n    target:\n      areas: [khu-22]\n'
        "      clusters: [loa-1, loa-02]"
    )
    found = load(text)
    assert errors(found) == [
        (line_with(text, "areas: [khu-22]"), "slots -> morning -> target -> areas -> #1",
         "slot `morning` targets area `khu-22`, which is not in `areas` (did you mean `khu-2`?)"),
        (line_with(text, "clusters: [loa-1,"), "slots -> morning -> target -> clusters -> #1",
         "slot `morning` targets cluster `loa-1`, which no area lists (did you mean `loa-01`?)"),
    ]


def test_skip_naming_unknown_slot_and_a_skip_that_changes_nothing(load: Load) -> None:
    # health starts when morning ends: back to back is not an overlap.
    text = TWO_SLOTS.replace('"05:50"', '"06:00"').replace('"06:10"', '"06:20"') + """\
exceptions:
  - date: 2026-12-05
    skip: [mornin, health]
"""
    found = load(text)
    assert errors(found) == [(
        line_with(text, "skip:"), "exceptions -> 2026-12-05 -> skip -> #1",
        "`skip` names slot `mornin`, which is not in `slots` (did you mean `morning`?)",
    )]
    (warning,) = found.warnings
    assert warning.key_path == "exceptions -> 2026-12-05 -> skip -> #2"
    assert "does not play on 2026-12-05 (sat)" in warning.message


def test_overlapping_regular_slots_name_both_and_the_days(load: Load) -> None:
    found = load(TWO_SLOTS)
    assert errors(found) == [(
        line_with(TWO_SLOTS, '"05:50"'), "slots -> health -> start",
        ("slot `health` (05:50-06:10) overlaps slot `morning` (05:30-06:00) on mon, thu "
        "on cluster loa-03"),
    )]


def test_no_overlap_when_clusters_or_days_differ(load: Load) -> None:
    other_area = TWO_SLOTS.replace("areas: [khu-2]}", "areas: [khu-2]}").replace(
        "  - id: morning\n", "  - id: morning\n    target: {areas: [khu-1]}\n"
    )
    assert load(other_area).ok
    other_days = TWO_SLOTS.replace("  - id: morning\n", "  - id: morning\n    days: [sat]\n")
    assert load(other_days).ok


def test_one_off_slot_overlapping_a_regular_slot_that_day(load: Load) -> None:
    text = BASE + """\
exceptions:
  - date: 2026-12-05
    add:
      - id: tiem-chung
        start: "05:55"
        end: "06:05"
        target: {clusters: [loa-02, loa-03]}
        playlist:
          - stream: http://relay.example/health
            duration_s: 500
"""
    found = load(text)
    assert errors(found) == [(
        line_with(text, '"05:55"'), "exceptions -> 2026-12-05 -> add -> tiem-chung -> start",
        ("one-off slot `tiem-chung` on 2026-12-05 (05:55-06:05) overlaps slot `morning` "
        "(05:30-06:00) on 2026-12-05 on clusters loa-02, loa-03"),
    )]
    skipped = text.replace("    add:", "    skip: [morning]\n    add:")
    assert load(skipped).ok


def test_one_off_slot_reusing_the_id_of_a_slot_playing_that_day(load: Load) -> None:
    text = BASE + """\
exceptions:
  - date: 2026-12-05
    add:
      - id: morning
        start: "07:00"
        end: "07:10"
        playlist:
          - stream: http://relay.example/health
            duration_s: 500
"""
    (problem,) = load(text).errors
    assert problem.key_path == "exceptions -> 2026-12-05 -> add -> morning -> id"
    assert "same broadcast" in problem.message


@pytest.fixture
def library(tmp_path: Path) -> Path:
    return write_library(tmp_path / "audio_library", dict.fromkeys(BULLETINS, 20.0))


def test_unknown_audio_item_names_the_slot_and_line(write: Write, library: Path) -> None:
    text = audio_timetable("      - audio: nhac-hieu\n      - audio: ban-tin-sng\n")
    found = load_timetables([write("t.yaml", text)], Catalogue.load(library))
    assert errors(found) == [(
        line_with(text, "ban-tin-sng"), "slots -> morning -> playlist -> #2 -> audio",
        ("slot `morning` plays audio `ban-tin-sng`, which is not in the catalogue "
        "(did you mean `ban-tin-sang`?)"),
    )]


def test_audio_whose_file_is_missing_from_the_library(write: Write, tmp_path: Path) -> None:
    library = write_library(tmp_path / "lib", {"nhac-hieu": 30.0, "thoi-tiet": 30.0},
                            missing=("thoi-tiet",))
    text = audio_timetable("      - audio: nhac-hieu\n      - audio: thoi-tiet\n")
    found = load_timetables([write("t.yaml", text)], Catalogue.load(library))
    (problem,) = found.errors
    assert problem.line == line_with(text, "thoi-tiet")
    assert "missing from the audio library" in problem.message
    assert "broadcastd audio check" in problem.fix


def test_playlist_longer_than_its_window_says_by_how_much(write: Write, library: Path) -> None:
    # 3 x 20 s in a 00:50 window: 10 s too long.
    text = audio_timetable(
        "      - audio: nhac-hieu\n      - audio: suc-khoe\n      - audio: thoi-tiet\n",
        end='"05:30:50"',
    )
    found = load_timetables([write("t.yaml", text)], Catalogue.load(library))
    (problem,) = found.errors
    assert problem.line == line_with(text, "playlist:")
    assert problem.key_path == "slots -> morning -> playlist"
    assert problem.message == (
        "the playlist of slot `morning` lasts 1:00, longer than its window "
        "(05:30-05:30:50, 0:50) by 0:10"
    )
    assert "shorten it by at least 0:10" in problem.fix


def test_much_shorter_playlist_is_a_warning_that_does_not_fail(
    write: Write, library: Path
) -> None:
    text = audio_timetable("      - audio: nhac-hieu\n", end='"05:32"')
    path = write("t.yaml", text)
    found = load_timetables([path], Catalogue.load(library))
    assert found.ok
    (warning,) = found.warnings
    assert "lasts 0:20, under half its window" in warning.message
    assert "silent for 1:40" in warning.message
    output, code = validate([path.parent], library, NOW, lang="en")
    assert code == 0
    assert "warning: the playlist of slot `morning`" in output
    assert "thu-nghiem  Xã Thử Nghiệm: 2 areas, 3 clusters, 1 slot," in output


def test_without_catalogue_audio_checks_are_skipped(load: Load) -> None:
    assert load(audio_timetable("      - audio: not-imported-yet\n")).ok


def test_same_commune_in_two_files_names_both(write: Write) -> None:
    first = write("a.yaml", BASE)
    second = write("b.yaml", BASE.replace('"Xã Thử Nghiệm"', '"Xã Thử Nghiệm 2"'))
    found = load_timetables([first.parent], None)
    (problem,) = found.errors
    assert problem.file == second and problem.line == 2
    assert problem.message == f"commune `thu-nghiem` is also defined in {first}"
    assert found.by_commune()["thu-nghiem"].commune.name == "Xã Thử Nghiệm"


def test_same_cluster_ids_in_two_communes_are_fine(write: Write) -> None:
    write("a.yaml", BASE)
    folder = write("b.yaml", BASE.replace("id: thu-nghiem", "id: khac")).parent
    found = load_timetables([folder], None)
    assert found.ok and sorted(found.by_commune()) == ["khac", "thu-nghiem"]


def test_find_uses_names_file_line_and_slot(write: Write) -> None:
    text = audio_timetable("      - audio: nhac-hieu\n      - audio: suc-khoe\n") + """\
exceptions:
  - date: 2026-12-05
    add:
      - id: tiem-chung
        start: "07:00"
        end: "07:10"
        playlist:
          - audio: suc-khoe
"""
    path = write("t.yaml", text)
    write("broken.yaml", "slots: [\n")
    lines = [n for n, line in enumerate(text.splitlines(), 1) if "suc-khoe" in line]
    uses = find_uses([path.parent], "suc-khoe")
    assert uses[0].startswith(f"{path.parent / 'broken.yaml'}:")
    assert "cannot be read" in uses[0]
    assert uses[1:] == [
        f"{path}:{lines[0]} slot morning",
        f"{path}:{lines[1]} one-off slot tiem-chung on 2026-12-05",
    ]
    assert find_uses([path], "thoi-tiet") == []


def test_shipped_schedules_validate_with_every_bulletin_length(tmp_path: Path) -> None:
    schedules = REPO / "schedules"
    for seconds in (5.0, 25.0):
        library = write_library(tmp_path / f"lib-{seconds}", dict.fromkeys(BULLETINS, seconds))
        found = load_timetables([schedules], Catalogue.load(library))
        assert found.problems == [], [str(p) for p in found.problems]
    communes = found.by_commune()
    assert sorted(communes) == ["khai-xuan", "man-lan"]
    man_lan = communes["man-lan"]
    assert (len(man_lan.areas), len(man_lan.clusters)) == (15, 22)


def test_shipped_schedules_validate_against_the_shipped_library() -> None:
    library = REPO / "audio_library"
    if not (library / "catalogue.yaml").exists():
        pytest.skip("the shipped audio library is not generated yet")
    output, code = validate([REPO / "schedules"], library, NOW, lang="en")
    assert code == 0, output
    assert "warning" not in output


def test_validate_summary_and_exit_codes(tmp_path: Path, write: Write) -> None:
    library = write_library(tmp_path / "lib", dict.fromkeys(BULLETINS, 20.0))
    output, code = validate([REPO / "schedules"], library, NOW, lang="en")
    assert code == 0
    assert output.splitlines() == [
        ("khai-xuan  Xã Khải Xuân: 6 areas, 8 clusters, 2 slots, next broadcast "
        "khai-xuan/evening/2026-11-29 at 2026-11-29 17:30 +07"),
        ("man-lan    Xã Mạn Lạn: 15 areas, 22 clusters, 3 slots, next broadcast "
        "man-lan/evening/2026-11-29 at 2026-11-29 17:00 +07"),
    ]
    bad = write("bad.yaml", BASE.replace('"05:30"', '"05:61"'))
    output, code = validate([bad], library, NOW, lang="en")
    assert code == 1
    assert output.splitlines() == [
        (f"{bad}:13: slots -> morning -> start: '05:61' is not a time of day. "
        'Fix: write the time as HH:MM or HH:MM:SS in quotes, for example "05:30"'),
        "1 error, 0 warnings: fix the errors above and run `broadcastd validate` again.",
    ]


def test_broken_catalogue_is_an_error_and_timetables_are_still_checked(
    tmp_path: Path, write: Write
) -> None:
    library = tmp_path / "lib"
    library.mkdir()
    (library / "catalogue.yaml").write_text("version: 1\nitems: [\n", encoding="utf-8")
    bad = write("bad.yaml", BASE.replace('"05:30"', '"05:61"'))
    output, code = validate([bad], library, NOW, lang="en")
    assert code == 1
    assert "catalogue.yaml" in output.splitlines()[0]
    assert f"{bad}:13:" in output


def test_a_streams_fallback_is_checked_against_the_catalogue(write: Write, library: Path) -> None:
    text = audio_timetable(
        "      - stream: http://relay.example/live\n        duration_s: 50\n"
        "        fallback: nhac-hieuu\n"
    )
    found = load_timetables([write("t.yaml", text)], Catalogue.load(library))
    assert errors(found) == [(
        line_with(text, "fallback:"), "slots -> morning -> playlist -> #1 -> fallback",
        ("slot `morning` falls back to audio `nhac-hieuu`, which is not in the catalogue "
         "(did you mean `nhac-hieu`?)"),
    )]
    (problem,) = found.errors
    assert "broadcastd audio add FILE --name nhac-hieuu" in problem.fix

    good = text.replace("nhac-hieuu", "nhac-hieu")
    assert load_timetables([write("t.yaml", good)], Catalogue.load(library)).ok


def test_find_uses_counts_a_streams_fallback(write: Write) -> None:
    """`broadcastd audio remove` must not remove the recording a relay falls back to."""
    text = audio_timetable(
        "      - stream: http://relay.example/live\n        duration_s: 50\n"
        "        fallback: nhac-nen\n"
    )
    path = write("t.yaml", text)
    assert find_uses([path], "nhac-nen") == [f"{path}:{line_with(text, 'fallback:')} slot morning"]


def test_find_uses_counts_a_slots_playlist_for_one_date(write: Write) -> None:
    """An item only a dated playlist (`on:`) plays is in use too: removing it would
    silence that date. The library page lists several items' uses in one reading."""
    text = audio_timetable("      - audio: nhac-hieu\n") + """\
    on:
      - date: 2026-12-02
        playlist:
          - audio: hop-thon
"""
    path = write("t.yaml", text)
    assert find_uses([path], "hop-thon") == [
        f"{path}:{line_with(text, 'hop-thon')} slot morning on 2026-12-02"]
    assert find_uses_of([path.parent], ["hop-thon", "nhac-hieu", "thoi-tiet"]) == {
        "hop-thon": [f"{path}:{line_with(text, 'hop-thon')} slot morning on 2026-12-02"],
        "nhac-hieu": [f"{path}:{line_with(text, 'nhac-hieu')} slot morning"],
        "thoi-tiet": [],
    }
