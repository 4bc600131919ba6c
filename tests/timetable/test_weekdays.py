"""Weekdays written in Vietnamese, as officials write them on notices (issue 13)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from broadcastd.timetable.loader import TimetableSet
from broadcastd.timetable.weekdays import weekday_of

from .helpers import BASE

Load = Callable[[str], TimetableSet]
MONDAY = date(2026, 11, 30)


@pytest.mark.parametrize(
    ("written", "weekday"),
    [
        ("thứ hai", "mon"), ("Thứ Hai", "mon"), ("thu hai", "mon"), ("thứ 2", "mon"),
        ("T2", "mon"), ("thứ ba", "tue"), ("thứ tư", "wed"), ("t4", "wed"),
        ("thứ năm", "thu"), ("thứ sáu", "fri"), ("thứ bảy", "sat"), ("thứ  7", "sat"),
        ("chủ nhật", "sun"), ("Chủ Nhật", "sun"), ("CN", "sun"), ("chu nhat", "sun"),
        ("mon", "mon"), ("thu", "thu"), ("Sun", "sun"),
    ],
)
def test_a_weekday_as_written(written: str, weekday: str) -> None:
    assert weekday_of(written) == weekday


@pytest.mark.parametrize("written", ["thứ tám", "t8", "t1", "thur", "monday", "hai", ""])
def test_what_is_not_a_weekday(written: str) -> None:
    assert weekday_of(written) is None


def _with_days(days: str) -> str:
    return BASE.replace('    end: "06:00"', f'    end: "06:00"\n    days: {days}')


def test_a_slot_on_vietnamese_weekdays_plays_on_those_days(load: Load) -> None:
    found = load(_with_days("[thứ hai, t5, chủ nhật]"))
    assert found.ok, [str(p) for p in found.problems]
    slot = found.by_commune()["thu-nghiem"].slots[0]
    assert slot.days == ["mon", "thu", "sun"]
    played = [slot.runs_on(date.fromordinal(MONDAY.toordinal() + n)) for n in range(7)]
    assert played == [True, False, False, True, False, False, True]


def test_one_weekday_without_brackets_and_every_day_in_vietnamese(load: Load) -> None:
    assert load(_with_days("thứ sáu")).by_commune()["thu-nghiem"].slots[0].days == ["fri"]
    assert load(_with_days("hằng ngày")).by_commune()["thu-nghiem"].slots[0].days == "daily"


def test_a_misspelt_vietnamese_weekday_is_named_with_the_vietnamese_fix(load: Load) -> None:
    found = load(_with_days("[thứ hai, thứ tám]"))
    assert len(found.errors) == 1
    problem = found.errors[0]
    assert problem.key_path == "slots -> morning -> days -> #2"
    assert "thứ tám" in problem.message
    assert "thứ hai" in problem.message + problem.fix
