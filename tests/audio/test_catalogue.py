"""The catalogue file: readable, round-trips, and a broken one says where."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from broadcastd.audio.catalogue import AudioEntry, Catalogue, render
from broadcastd.audio.errors import CatalogueError, NameTaken

SHA = "ab" * 32
ENTRY = AudioEntry("ban-tin-sang", f"{SHA}.mp3", "Bản tin buổi sáng \"mới\"", 20.04, SHA, -16.1,
                   -1.7, "ban tin sáng.m4a", datetime(2026, 11, 29, 5, 0, tzinfo=UTC))


def test_missing_catalogue_is_empty(tmp_path: Path) -> None:
    assert dict(Catalogue.load(tmp_path).entries) == {}


def test_round_trip_keeps_vietnamese_and_is_readable(tmp_path: Path) -> None:
    catalogue = Catalogue(tmp_path)
    catalogue.add(ENTRY)
    catalogue.save()

    text = (tmp_path / "catalogue.yaml").read_text(encoding="utf-8")
    assert text.startswith("# ") and "broadcastd audio add" in text.splitlines()[1]
    assert "version: 1\nitems:\n  ban-tin-sang:\n" in text
    assert '    title: "Bản tin buổi sáng \\"mới\\""\n' in text
    assert '    imported_at: "2026-11-29T05:00:00+00:00"\n' in text
    loaded = Catalogue.load(tmp_path)
    assert loaded.get("ban-tin-sang") == ENTRY
    assert loaded.path_of(ENTRY) == tmp_path / f"{SHA}.mp3"


def test_taken_name_is_refused(tmp_path: Path) -> None:
    catalogue = Catalogue(tmp_path)
    catalogue.add(ENTRY)
    with pytest.raises(NameTaken, match="already used"):
        catalogue.add(ENTRY)


@pytest.mark.parametrize(("text", "line", "words"), [
    ("version: 1\nitems:\n  a:\n    file: [\n", 5, "not valid YAML"),
    (render({"a": ENTRY}).replace(f"file: {SHA}", "file: x"), 8, "not <sha256>.mp3"),
    (render({"a": ENTRY}).replace("duration_s: 20.04", "duration_s: long"), 10,
     "must be a number"),
    ("version: 1\nitems:\n  Bad_Name:\n    file: x\n", 3, "breaks the rule"),
    (f"version: 1\nitems:\n  a:\n    file: {SHA}.mp3\n", 4, "lacks title"),
    ("version: 2\nitems: {}\n", 1, "not supported"),
    ("items: {}\n", 1, "'version: 1' line is missing"),
])
def test_broken_catalogue_names_file_and_line(tmp_path: Path, text: str, line: int,
                                              words: str) -> None:
    (tmp_path / "catalogue.yaml").write_text(text, encoding="utf-8")
    with pytest.raises(CatalogueError) as raised:
        Catalogue.load(tmp_path)
    message = str(raised.value)
    assert f"catalogue.yaml, line {line}:" in message, message
    assert words in message
