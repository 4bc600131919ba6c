"""Validation as an official sees it: each mistake with its file, line, key path and fix."""

from __future__ import annotations

from collections.abc import Callable
from datetime import time
from pathlib import Path

from broadcastd.timetable.loader import TimetableSet, load_timetables
from broadcastd.timetable.problems import Problem

from .helpers import BASE, line_with

Load = Callable[[str], TimetableSet]


def only_error(found: TimetableSet) -> Problem:
    assert len(found.errors) == 1, [str(p) for p in found.problems]
    return found.errors[0]


def test_base_timetable_is_valid(load: Load) -> None:
    found = load(BASE)
    assert found.ok and found.problems == []
    assert found.by_commune()["thu-nghiem"].clusters == ["loa-01", "loa-02", "loa-03"]


def test_misspelt_key_points_at_its_line_and_suggests_the_right_one(load: Load) -> None:
    text = BASE.replace('  name: "Xã Thử Nghiệm"\n', '  name: "Xã Thử Nghiệm"\n  timezon: Asia/Bangkok\n')
    problem = only_error(load(text))
    assert problem.line == line_with(text, "timezon:")
    assert problem.key_path == "commune -> timezon"
    assert "did you mean `timezone`?" in problem.message
    assert problem.fix == "rename it to `timezone`"


def test_unknown_key_without_a_near_name_lists_the_allowed_keys(load: Load) -> None:
    text = BASE.replace('    start: "05:30"', '    start: "05:30"\n    colour: red')
    problem = only_error(load(text))
    assert problem.key_path == "slots -> morning -> colour"
    assert problem.line == line_with(text, "colour:")
    assert "playlist" in problem.fix and "volume" in problem.fix


def test_wrong_type_says_what_is_expected_with_an_example(load: Load) -> None:
    text = BASE.replace('    end: "06:00"', '    end: "06:00"\n    volume: loud')
    problem = only_error(load(text))
    assert problem.line == line_with(text, "volume:")
    assert problem.key_path == "slots -> morning -> volume"
    assert "whole number" in problem.message and "`loud`" in problem.message
    assert "volume: 80" in problem.fix


def test_out_of_range_volume_gives_the_range(load: Load) -> None:
    text = BASE.replace('    end: "06:00"', '    end: "06:00"\n    volume: 120')
    problem = only_error(load(text))
    assert problem.line == line_with(text, "volume:")
    assert "at most 100" in problem.message


def test_id_breaking_the_contract_pattern_gets_a_suggested_id(load: Load) -> None:
    text = BASE.replace("  - id: khu-2", "  - id: Khu Đông")
    problem = only_error(load(text))
    assert problem.line == line_with(text, "Khu Đông")
    assert problem.key_path == "areas -> Khu Đông -> id"
    assert "lower-case" in problem.message
    assert problem.fix == "write `khu-dong`"


def test_end_not_after_start_points_at_end(load: Load) -> None:
    text = BASE.replace('end: "06:00"', 'end: "05:00"')
    problem = only_error(load(text))
    assert problem.line == line_with(text, 'end: "05:00"')
    assert problem.key_path == "slots -> morning -> end"
    assert "not after start" in problem.message
    assert "midnight" in problem.fix


def test_time_that_is_not_a_time_of_day(load: Load) -> None:
    text = BASE.replace('start: "05:30"', 'start: "5h30"')
    problem = only_error(load(text))
    assert problem.line == line_with(text, "5h30")
    assert '"05:30"' in problem.fix


def test_missing_key_names_it_at_the_line_of_its_slot(load: Load) -> None:
    text = BASE.replace('    end: "06:00"\n', "")
    problem = only_error(load(text))
    assert problem.key_path == "slots -> morning -> end"
    assert problem.line == line_with(text, "- id: morning")
    assert problem.message == "`end` is missing"


def test_target_that_is_neither_all_nor_a_list_of_areas(load: Load) -> None:
    text = BASE.replace('    end: "06:00"', '    end: "06:00"\n    target: al')
    problem = only_error(load(text))
    assert problem.key_path == "slots -> morning -> target"
    assert problem.line == line_with(text, "target: al")
    assert "`all`" in problem.message


def test_misspelt_weekday_is_named(load: Load) -> None:
    text = BASE.replace('    end: "06:00"', '    end: "06:00"\n    days: [mon, thur]')
    problem = only_error(load(text))
    assert problem.key_path == "slots -> morning -> days -> #2"
    assert "`thur`" in problem.message and "thu" in problem.message


def test_a_last_stream_without_duration_fills_the_rest_of_the_slot(load: Load) -> None:
    for text in (BASE.replace("        duration_s: 1700\n", ""),
                 BASE.replace("duration_s: 1700", "duration_s: rest")):
        found = load(text)
        assert found.ok and found.problems == [], [str(p) for p in found.problems]
        (item,) = found.by_commune()["thu-nghiem"].slots[0].playlist
        assert item.fills_rest


def test_a_stream_without_duration_before_another_item_is_named(load: Load) -> None:
    text = BASE.replace(
        "        duration_s: 1700\n",
        "      - stream: http://relay.example/other\n        duration_s: 100\n",
    )
    problem = only_error(load(text))
    assert problem.key_path == "slots -> morning -> playlist"
    assert "stream item #1 has no `duration_s:`" in problem.message
    assert "duration_s: 1500" in problem.fix or "duration_s: 1500" in problem.message


def test_yaml_syntax_error_with_tab_gives_line_and_hint(load: Load) -> None:
    text = BASE.replace('    start: "05:30"', '\tstart: "05:30"')
    problem = only_error(load(text))
    assert problem.line == line_with(text, "\tstart")
    assert "tab" in problem.fix


def test_yaml_syntax_error_missing_colon(load: Load) -> None:
    text = BASE.replace("  id: thu-nghiem", "  id thu-nghiem\n  district: x")
    problem = only_error(load(text))
    assert problem.line in (line_with(text, "id thu-nghiem"), line_with(text, "district: x"))
    assert "not valid YAML" in problem.message
    assert problem.fix


def test_key_written_twice_in_one_mapping(load: Load) -> None:
    text = BASE.replace('    end: "06:00"', '    end: "06:00"\n    end: "06:15"')
    problem = only_error(load(text))
    assert problem.line == line_with(text, '"06:15"')
    assert problem.key_path == "slots -> morning -> end"
    assert "written twice" in problem.message


def test_unquoted_time_is_not_read_as_sexagesimal_number(load: Load) -> None:
    # YAML 1.1 reads 05:30 as 330 (5*60+30); our loader keeps it as the time.
    text = BASE.replace('start: "05:30"', "start: 05:30").replace('end: "06:00"', "end: 06:00")
    found = load(text)
    assert found.ok, [str(p) for p in found.problems]
    slot = found.by_commune()["thu-nghiem"].slots[0]
    assert (slot.start, slot.end) == (time(5, 30), time(6, 0))


def test_yes_no_on_off_stay_ids(load: Load) -> None:
    text = BASE.replace("id: morning", "id: on").replace("clusters: [loa-03]", "clusters: [no]")
    found = load(text)
    assert found.ok, [str(p) for p in found.problems]
    timetable = found.by_commune()["thu-nghiem"]
    assert timetable.slots[0].id == "on"
    assert "no" in timetable.clusters


def test_number_where_an_id_is_expected_asks_for_quotes(load: Load) -> None:
    text = BASE.replace("clusters: [loa-03]", "clusters: [7]")
    problem = only_error(load(text))
    assert problem.key_path == "areas -> khu-2 -> clusters -> #1"
    assert '"7"' in problem.fix


def test_vietnamese_text_is_kept(load: Load) -> None:
    text = BASE.replace('name: "Khu 1"', 'name: "Khu Đồng Lạc – Phố Mới"').replace(
        '    start: "05:30"', '    title: "Bản tin buổi sáng"\n    start: "05:30"'
    )
    found = load(text)
    assert found.ok
    timetable = found.by_commune()["thu-nghiem"]
    assert timetable.commune.name == "Xã Thử Nghiệm"
    assert timetable.areas[0].name == "Khu Đồng Lạc – Phố Mới"
    assert timetable.slots[0].title == "Bản tin buổi sáng"


def test_several_errors_are_reported_at_once_in_line_order(load: Load) -> None:
    text = (
        BASE.replace("  id: thu-nghiem", "  id: Thu Nghiem")
        .replace('    name: "Khu 2"', '    nam: "Khu 2"')
        .replace('end: "06:00"', 'end: "05:00"')
    )
    found = load(text)
    assert [(p.line, p.key_path) for p in found.errors] == [
        (line_with(text, "Thu Nghiem"), "commune -> id"),
        (line_with(text, "- id: khu-2"), "areas -> khu-2 -> name"),
        (line_with(text, "nam:"), "areas -> khu-2 -> nam"),
        (line_with(text, 'end: "05:00"'), "slots -> morning -> end"),
    ]


def test_unknown_key_does_not_hide_rules_across_the_file(load: Load) -> None:
    text = BASE.replace('    name: "Khu 2"', '    nam: "Khu 2"\n    name: "Khu 2"').replace(
        "    start:", "    target: {areas: [khu-9]}\n    start:"
    )
    found = load(text)
    assert {p.key_path for p in found.errors} == {
        "areas -> khu-2 -> nam",
        "slots -> morning -> target -> areas -> #1",
    }


def test_every_file_is_checked_even_when_one_is_broken(
    write: Callable[[str, str], Path],
) -> None:
    write("a-broken.yaml", "commune: [\n")
    write("b-good.yaml", BASE)
    write("c-bad.yaml", BASE.replace("thu-nghiem", "khac").replace('"05:30"', '"25:00"'))
    found = load_timetables([write("a-broken.yaml", "commune: [\n").parent], None)
    assert [p.file.name for p in found.errors] == ["a-broken.yaml", "c-bad.yaml"]
    assert list(found.by_commune()) == ["thu-nghiem"]


def test_problem_reads_as_file_line_key_path_message_fix() -> None:
    problem = Problem(
        Path("schedules/man-lan.yaml"), 12, "slots -> morning -> start",
        "`5h30` is not a time of day", 'write "05:30"',
    )
    assert str(problem) == (
        "schedules/man-lan.yaml:12: slots -> morning -> start: `5h30` is not a time of day. "
        'Fix: write "05:30"'
    )


def test_empty_and_non_mapping_files(write: Callable[[str, str], Path]) -> None:
    empty = write("empty.yaml", "# nothing yet\n")
    listing = write("list.yaml", "- a\n- b\n")
    found = load_timetables([empty, listing], None)
    assert [(p.file.name, p.message) for p in found.errors] == [
        ("empty.yaml", "the file is empty"),
        ("list.yaml", "the file does not hold a timetable (`commune:`, `areas:`, `slots:` ...)"),
    ]


def test_missing_path_and_empty_folder_are_errors(tmp_path: Path) -> None:
    (tmp_path / "none").mkdir()
    found = load_timetables([tmp_path / "none", tmp_path / "nowhere.yaml"], None)
    assert [p.message for p in found.errors] == [
        "no timetable files (*.yaml) in this folder",
        "no such file or folder",
    ]


def test_unclosed_quote_points_at_the_line_it_opens(load: Load) -> None:
    text = BASE.replace('name: "Khu 2"', 'name: "Khu 2')
    problem = only_error(load(text))
    assert problem.line == line_with(text, '"Khu 2')
    assert "quote opened on this line is not closed" in problem.fix


def test_an_id_with_a_line_break_around_it_is_refused_not_trimmed(load: Load) -> None:
    """The ACL, topics and client ids take the id as written: `c01\\n` is not `c01`."""
    text = BASE.replace("clusters: [loa-03]", 'clusters: ["loa-03\\n"]')
    problem = only_error(load(text))
    assert problem.line == line_with(text, "loa-03")
    assert "line break" in problem.message
    assert problem.fix == "write it as `loa-03`"


def test_priority_takes_a_class_word_or_a_number(load: Load) -> None:
    for written, expected in [("emergency", 100), ("priority", 50), ("routine", 0), ("70", 70)]:
        text = BASE.replace('    end: "06:00"', f'    end: "06:00"\n    priority: {written}')
        found = load(text)
        assert found.ok, [str(p) for p in found.problems]
        (slot,) = found.by_commune()["thu-nghiem"].slots
        assert slot.priority == expected


def test_an_unknown_priority_lists_the_words_and_the_range(load: Load) -> None:
    for written in ("urgent", "101", "-1", "2.5"):
        text = BASE.replace('    end: "06:00"', f'    end: "06:00"\n    priority: {written}')
        problem = only_error(load(text))
        assert problem.line == line_with(text, "priority:")
        assert problem.key_path == "slots -> morning -> priority"
        said = problem.message + " " + problem.fix
        assert "`emergency` (100)" in said and "0 to 100" in said, said


def test_a_fallback_only_on_a_stream(load: Load) -> None:
    text = BASE.replace(
        "      - stream: http://relay.example/live\n        duration_s: 1700\n",
        "      - audio: nhac-hieu\n        fallback: thoi-tiet\n",
    )
    problem = only_error(load(text))
    assert problem.line == line_with(text, "- audio:")
    assert "only a `stream:` item takes one" in problem.message + problem.fix
