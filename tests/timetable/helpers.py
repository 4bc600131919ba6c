"""Timetable test helpers: a small valid commune, line lookup, a small audio library."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path

BULLETINS = (
    "nhac-hieu", "ban-tin-sang", "ban-tin-chieu", "giam-ngheo",
    "hoc-nghe", "suc-khoe", "khuyen-nong", "thoi-tiet",
)

# A small valid commune; tests replace parts of it. Line numbers matter in tests:
# use `line_with` rather than counting by hand.
BASE = """\
commune:
  id: thu-nghiem
  name: "Xã Thử Nghiệm"
areas:
  - id: khu-1
    name: "Khu 1"
    clusters: [loa-01, loa-02]
  - id: khu-2
    name: "Khu 2"
    clusters: [loa-03]
slots:
  - id: morning
    start: "05:30"
    end: "06:00"
    playlist:
      - stream: http://relay.example/live
        duration_s: 1700
"""


# Two slots sharing loa-03 on Mondays and Thursdays, 05:50-06:00.
TWO_SLOTS = BASE + """\
  - id: health
    days: [mon, thu]
    start: "05:50"
    end: "06:10"
    target: {areas: [khu-2]}
    playlist:
      - stream: http://relay.example/health
        duration_s: 1100
"""


def audio_timetable(items: str, end: str = '"05:31"') -> str:
    """BASE with the morning's playlist replaced by `items`, ending at `end`."""
    return BASE.replace('end: "06:00"', f"end: {end}").replace(
        "      - stream: http://relay.example/live\n        duration_s: 1700\n", items
    )


def line_with(text: str, needle: str) -> int:
    """1-based line of the only line containing `needle`."""
    found = [n for n, line in enumerate(text.splitlines(), 1) if needle in line]
    assert len(found) == 1, f"{needle!r} is on lines {found}"
    return found[0]


def write_library(directory: Path, durations: Mapping[str, float],
                  missing: tuple[str, ...] = ()) -> Path:
    """A catalogue in the documented format, with a file for each entry not `missing`."""
    directory.mkdir(parents=True, exist_ok=True)
    lines = ["version: 1", "items:" if durations else "items: {}"]
    for name, seconds in sorted(durations.items()):
        sha = hashlib.sha256(name.encode()).hexdigest()
        if name not in missing:
            (directory / f"{sha}.mp3").write_bytes(b"ID3 test audio " + name.encode())
        lines += [
            f"  {name}:",
            f"    file: {sha}.mp3",
            f'    title: "Bản tin {name}"',
            f"    duration_s: {seconds:.2f}",
            f"    sha256: {sha}",
            "    loudness_lufs: -16.0",
            "    true_peak_dbtp: -1.6",
            f'    source: "{name}.m4a"',
            '    imported_at: "2026-11-29T05:00:00+00:00"',
        ]
    (directory / "catalogue.yaml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return directory


