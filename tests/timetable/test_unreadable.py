"""Files the YAML reader cannot take (control characters, runaway nesting, alias bombs)
end as a problem with file, line and fix, for `validate` and for the config file alike,
never as a traceback, and within bounded work."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from broadcastd.settings import SettingsError, load_settings
from broadcastd.timetable.loader import TimetableSet
from broadcastd.timetable.source import ReadLimits, YamlSyntaxError, read_yaml

from .helpers import BASE, line_with

Load = Callable[[str], TimetableSet]


def billion_laughs(levels: int = 9) -> str:
    """The classic alias bomb: each level lists the previous one 9 times (~500 bytes)."""
    text = 'lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for level in range(1, levels):
        aliases = ", ".join([f"*lol{level - 1}"] * 9)
        text += f"lol{level}: &lol{level} [{aliases}]\n"
    return text


BREAKERS = {
    "nul": BASE.replace('    end: "06:00"', '    end: "06:00\x00"'),
    "esc": BASE.replace('  name: "Xã Thử Nghiệm"', '  name: "Xã \x1b[31mThử Nghiệm"'),
    "deep brackets": BASE + "note: " + "[" * 5000 + "\n",
    "deep groups": BASE + "note: " + "{a: " * 5000 + "\n",
    "alias bomb": billion_laughs(),
    "alias bomb under a key": BASE.replace("slots:", billion_laughs().replace("lol0:", "x:")
                                           + "slots:"),
    "alias in itself": BASE + "extra: &loop [1, *loop]\n",
}


@pytest.mark.parametrize("name", sorted(BREAKERS))
def test_a_file_the_reader_refuses_is_one_problem_with_a_fix(load: Load, name: str) -> None:
    found = load(BREAKERS[name])
    assert found.timetables == []
    (problem,) = found.errors
    assert problem.file.name == "test.yaml"
    assert problem.message.startswith("this is not valid YAML")
    assert problem.fix


def test_a_control_character_is_shown_on_its_line_and_column(load: Load) -> None:
    text = BREAKERS["nul"]
    (problem,) = load(text).errors
    assert problem.line == line_with(text, "end:")
    assert "U+0000" in problem.message and "column 16" in problem.message
    assert "delete it" in problem.fix
    (escape,) = load(BREAKERS["esc"]).errors
    assert escape.line == line_with(BREAKERS["esc"], "name: \"X")
    assert "U+001B" in escape.message


def test_runaway_nesting_is_refused_before_the_reader_recurses(load: Load) -> None:
    (problem,) = load(BREAKERS["deep brackets"]).errors
    assert "nested more than 40 levels" in problem.message
    assert "`[`" in problem.fix


def test_an_alias_bomb_is_refused_for_what_it_expands_to() -> None:
    with pytest.raises(YamlSyntaxError) as refused:
        read_yaml(billion_laughs())
    assert "more than 50,000 values" in refused.value.problem
    assert "`*name`" in refused.value.problem
    assert refused.value.line == 2  # the first alias


def test_aliases_within_the_bounds_still_work() -> None:
    text = "shared: &p [{stream: http://x.example/live, duration_s: 60}]\na: *p\nb: *p\n"
    data, _ = read_yaml(text)
    assert data["a"] == data["b"] == data["shared"]


def test_too_big_a_file_is_refused_before_it_is_read() -> None:
    with pytest.raises(YamlSyntaxError) as refused:
        read_yaml("note: " + "x" * 2048, ReadLimits(max_bytes=1024))
    assert refused.value.line is None
    assert "more than the 1 KiB" in refused.value.problem


def test_a_duplicate_key_in_an_aliased_group_is_reported_once(load: Load) -> None:
    text = BASE + "x: &g {a: 1, a: 2}\ny: [*g, *g, *g]\n"
    duplicates = [p for p in load(text).errors if "written twice" in p.message]
    assert [p.key_path for p in duplicates] == ["x -> a"]


@pytest.mark.parametrize(("lang", "said"), [
    ("en", ("this is not valid YAML", "Fix:")),
    ("vi", ("đây không phải YAML hợp lệ", "Cách sửa:")),
])
@pytest.mark.parametrize("name", ["nul", "deep brackets", "alias bomb"])
def test_validate_prints_the_problem_not_a_traceback(
    tmp_path: Path, name: str, lang: str, said: tuple[str, str]
) -> None:
    schedules = tmp_path / "schedules"
    schedules.mkdir()
    (schedules / "man-lan.yaml").write_text(BREAKERS[name], encoding="utf-8")
    (schedules / "other.yaml").write_text(BASE.replace("thu-nghiem", "khac"), encoding="utf-8")
    # The timeout only guards against a hang (the alias bomb took minutes).
    run = subprocess.run(
        [sys.executable, "-m", "broadcastd", "--lang", lang, "validate", str(schedules),
         "--library", str(tmp_path / "no-library")],
        check=False, capture_output=True, text=True, timeout=60, cwd=tmp_path,
    )
    assert run.returncode == 1
    assert "Traceback" not in run.stdout + run.stderr
    assert f"{schedules / 'man-lan.yaml'}" in run.stdout
    for words in said:
        assert words in run.stdout


def test_a_config_file_with_a_control_character_is_a_settings_error(tmp_path: Path) -> None:
    config = tmp_path / "broadcastd.yaml"
    config.write_text("broker:\n  url: mqtt://127.0.0.1:1883\x00\n", encoding="utf-8")
    with pytest.raises(SettingsError) as refused:
        load_settings(config)
    assert f"{config}:2:" in str(refused.value)
    assert "U+0000" in str(refused.value)
    config.write_text("broker: " + "[" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(SettingsError) as deep:
        load_settings(config)
    assert "nested more than" in str(deep.value)
