"""What the audio library page shows, in words: pure, given the catalogue's entries, the
files' sizes, and where the timetables use each item (`timetable.loader.find_uses_of`,
the same search `broadcastd audio remove` makes before it refuses)."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import tzinfo
from pathlib import Path

from broadcastd.audio.catalogue import AudioEntry, duration_text
from broadcastd.audio.errors import (
    AudioError,
    AudioToolMissing,
    CatalogueError,
    EmptyAudio,
    InvalidName,
    LibraryWriteError,
    NameTaken,
    NotAudio,
    SilentAudio,
    TruncatedAudio,
)
from broadcastd.audio.names import name_from_filename
from broadcastd.reports.words import Lang

NONE = "—"
AUDIO_PATH = "/audio/"
"""The route the speakers fetch from (`audio.http`): the page's players use it too."""


class UploadTooBig(AudioError):
    """The upload is larger than `console.max_upload_mb`."""


class UploadIncomplete(AudioError):
    """No file was sent, or the upload was cut off or damaged on the way."""


@dataclass(frozen=True)
class LibraryItem:
    name: str
    title: str
    duration: str
    loudness: str
    size: str
    added: str
    uses: list[str]
    src: str
    """Where the browser plays it from; empty when the file is missing."""
    highlighted: bool


@dataclass(frozen=True)
class UploadForm:
    """What the upload form shows: the values sent last (after a refusal) and the limit."""

    name: str = ""
    title: str = ""
    trim: bool = False
    max_mb: str = ""


def _decimal(value: float, digits: int, lang: Lang) -> str:
    text = f"{value:.{digits}f}"
    return text.replace(".", ",") if lang == "vi" else text


def loudness_text(lufs: float | None, lang: Lang) -> str:
    """Integrated loudness as the import measured it on the stored file."""
    if lufs is None or not math.isfinite(lufs):
        return NONE
    return f"{_decimal(lufs, 1, lang)} LUFS"


def size_text(size: int | None, lang: Lang) -> str:
    if size is None:
        return NONE
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024))} KB"
    return f"{_decimal(size / (1024 * 1024), 1, lang)} MB"


def slug(title: str) -> str:
    """The catalogue name proposed for a title: 'Bản tin T2' -> 'ban-tin-t2' (the same
    rule `broadcastd audio add` applies to a file name)."""
    return name_from_filename(title)


_SLOT = re.compile(r"^(?P<where>.+?:\d+) slot (?P<slot>\S+)$")
_ONE_OFF = re.compile(r"^(?P<where>.+?:\d+) one-off slot (?P<slot>\S+) on (?P<day>\S+)$")
_DATED = re.compile(r"^(?P<where>.+?:\d+) slot (?P<slot>\S+) on (?P<day>\S+)$")


def use_text(use: str, schedules_dir: Path, words: Mapping[str, str]) -> str:
    """One line of `find_uses` for the page: the file named from the timetable folder,
    the slot in the reader's words. Lines of another form are shown as they are."""
    use = use.removeprefix(f"{schedules_dir}/")
    if found := _ONE_OFF.match(use):
        return words["library.use_one_off"].format(**found.groupdict())
    if found := _DATED.match(use):
        return words["library.use_dated"].format(**found.groupdict())
    if found := _SLOT.match(use):
        return words["library.use_slot"].format(**found.groupdict())
    return use


def library_items(
    entries: Mapping[str, AudioEntry],
    sizes: Mapping[str, int | None],
    uses: Mapping[str, list[str]],
    schedules_dir: Path,
    zone: tzinfo | None,
    words: Mapping[str, str],
    lang: Lang,
    highlight: str | None = None,
) -> list[LibraryItem]:
    """Every item in name order (as `audio list`); `sizes` by file name (None: missing)."""
    items = []
    for name in sorted(entries):
        entry = entries[name]
        size = sizes.get(entry.file)
        items.append(LibraryItem(
            name=name,
            title=entry.title,
            duration=duration_text(entry.duration_s),
            loudness=loudness_text(entry.loudness_lufs, lang),
            size=size_text(size, lang) if size is not None else words["library.missing"],
            added=f"{entry.imported_at.astimezone(zone):%Y-%m-%d}",
            uses=[use_text(use, schedules_dir, words) for use in uses.get(name, [])],
            src=f"{AUDIO_PATH}{entry.file}" if size is not None else "",
            highlighted=name == highlight,
        ))
    return items


_PROBLEM_KEYS: tuple[tuple[type[AudioError], str], ...] = (
    (UploadTooBig, "too_big"),
    (UploadIncomplete, "incomplete"),
    (EmptyAudio, "empty"),
    (TruncatedAudio, "truncated"),
    (SilentAudio, "silent"),
    (NameTaken, "name_taken"),
    (InvalidName, "invalid_name"),
    (NotAudio, "not_audio"),
    (LibraryWriteError, "write"),
    (AudioToolMissing, "no_ffmpeg"),
    (CatalogueError, "catalogue"),
)


def upload_problem(error: AudioError, words: Mapping[str, str], name: str, max_mb: str) -> str:
    """A refused upload in the reader's words, with what to do; the import's own English
    message is shown under it for the technician."""
    key = next((k for kind, k in _PROBLEM_KEYS if isinstance(error, kind)), "failed")
    return words[f"library.problem.{key}"].format(name=name, max_mb=max_mb)
