"""Timetable test fixtures: timetable files written into tmp_path."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from broadcastd.timetable.loader import TimetableSet, load_timetables


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
