"""Timetable test fixtures: timetable files written into tmp_path."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from broadcastd.i18n import untranslated
from broadcastd.timetable.loader import TimetableSet, load_timetables
from broadcastd.timetable.problems import Problem


@pytest.fixture
def write(tmp_path: Path) -> Callable[[str, str], Path]:
    """Write a timetable file into tmp_path/schedules and return its path."""
    folder = tmp_path / "schedules"
    folder.mkdir(exist_ok=True)

    def _write(name: str, text: str) -> Path:
        path = folder / name
        path.write_text(text, encoding="utf-8")
        return path

    return _write


@pytest.fixture
def load(write: Callable[[str, str], Path]) -> Callable[[str], TimetableSet]:
    """Load one timetable text without a catalogue."""

    def _load(text: str) -> TimetableSet:
        return load_timetables([write("test.yaml", text)], None)

    return _load


@pytest.fixture(autouse=True)
def every_problem_is_said_in_vietnamese(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each problem any test of this folder meets is checked in Vietnamese too: every
    part of its message and fix has a translation, and the line renders (the tests
    themselves assert the English)."""
    made: list[Problem] = []
    original = Problem.__init__

    def recording(self: Problem, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        made.append(self)

    monkeypatch.setattr(Problem, "__init__", recording)
    yield
    for problem in made:
        assert untranslated(problem.text(), "vi") == [], str(problem)
        said = problem.said("vi")
        assert "Cách sửa:" in said and "Fix:" not in said, said
