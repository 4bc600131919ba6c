"""`broadcastd validate`: every problem of every timetable, then a line per commune.

The text and the exit code are built by a function of (paths, library, now), so
tests and the daemon's start-up log see exactly what the command prints.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from broadcastd.audio.catalogue import Catalogue
from broadcastd.audio.errors import CatalogueError
from broadcastd.planning.occurrences import next_occurrence
from broadcastd.timetable.loader import SpeakText, TimetableSet, load_timetables
from broadcastd.timetable.model import Timetable

DEFAULT_SCHEDULES = Path("schedules")
DEFAULT_LIBRARY = Path("audio_library")


def _offset(moment: datetime) -> str:
    """+07, or +05:30 when the zone has minutes."""
    raw = moment.strftime("%z")
    return raw[:3] if raw.endswith("00") else f"{raw[:3]}:{raw[3:]}"


def summary_line(timetable: Timetable, now: datetime, width: int = 0) -> str:
    """`man-lan  Xã Mạn Lạn: 15 areas, 22 clusters, 3 slots, next broadcast ...`."""
    commune = timetable.commune
    upcoming = next_occurrence(timetable, now)
    if upcoming is None:
        nxt = "no broadcast in the next 8 days"
    else:
        nxt = (
            f"next broadcast {upcoming.broadcast_id} at "
            f"{upcoming.start:%Y-%m-%d %H:%M} {_offset(upcoming.start)}"
        )
    return (
        f"{commune.id.ljust(width)}  {commune.name}: {len(timetable.areas)} areas, "
        f"{len(timetable.clusters)} clusters, {len(timetable.slots)} slots, {nxt}"
    )


def _plural(count: int, word: str) -> str:
    return f"{count} {word}{'' if count == 1 else 's'}"


def render(found: TimetableSet, now: datetime, preamble: Sequence[str] = ()) -> tuple[str, int]:
    """The printed report and the exit code (0: no errors, warnings allowed)."""
    lines = [*preamble, *(str(problem) for problem in found.problems)]
    failed = bool(found.errors) or bool(preamble)
    errors = len(found.errors) + len(preamble)
    if failed:
        lines.append(
            f"{_plural(errors, 'error')}, {_plural(len(found.warnings), 'warning')}: "
            "fix the errors above and run `broadcastd validate` again."
        )
        return "\n".join(lines), 1
    if found.warnings:
        lines.append(f"{_plural(len(found.warnings), 'warning')}, no errors.")
    width = max((len(t.timetable.commune.id) for t in found.timetables), default=0)
    lines += [summary_line(t.timetable, now, width) for t in found.timetables]
    return "\n".join(lines), 0


def validate(
    paths: Sequence[Path], library_dir: Path | None, now: datetime,
    speak: SpeakText | None = None,
) -> tuple[str, int]:
    """What `broadcastd validate` prints, and its exit code.

    `library_dir` None skips the audio checks. A broken catalogue is an error of its
    own, and the timetables are still checked without it. `speak` speaks the `text:`
    items (into the library's speech cache), so their length is checked too.
    """
    catalogue: Catalogue | None = None
    preamble: list[str] = []
    if library_dir is not None:
        try:
            catalogue = Catalogue.load(library_dir)
        except CatalogueError as exc:
            preamble.append(f"{exc} (audio items were not checked)")
    found = load_timetables(list(paths) or [DEFAULT_SCHEDULES], catalogue, speak)
    return render(found, now, preamble)


def register(subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add `validate [PATH...] [--library DIR]`; the handler is in `args.handler`."""
    parser = subparsers.add_parser(
        "validate",
        help="check timetables and report every problem with its line",
        description="Check the timetables (folders or files; default: schedules/) "
        "and the audio they name. Exit 0 when there are no errors (warnings allowed).",
    )
    parser.add_argument(
        "paths", nargs="*", type=Path, metavar="PATH", help="timetable folders or files"
    )
    parser.add_argument(
        "--library", type=Path, default=DEFAULT_LIBRARY, metavar="DIR",
        help="audio library with catalogue.yaml (default: audio_library)",
    )
    parser.add_argument(
        "--no-audio", action="store_true", help="skip the checks of the audio items"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Handler of `broadcastd validate`: print the report, return the exit code."""
    library = None if args.no_audio else args.library
    text, code = validate(args.paths or [DEFAULT_SCHEDULES], library, datetime.now(UTC))
    print(text)
    return code
