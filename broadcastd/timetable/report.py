"""`broadcastd validate`: every problem of every timetable, then a line per commune.

The text and the exit code are built by a function of (paths, library, now, lang),
so tests and the daemon's start-up log see exactly what the command prints, in the
language the reader chose (Vietnamese unless English is asked for).
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

from broadcastd.audio.catalogue import Catalogue
from broadcastd.audio.errors import CatalogueError
from broadcastd.i18n import DEFAULT, Language, _, from_environment, message_of, ngettext, say
from broadcastd.planning.occurrences import next_occurrence
from broadcastd.timetable.loader import SpeakText, TimetableSet, load_timetables
from broadcastd.timetable.model import Timetable

DEFAULT_SCHEDULES = Path("schedules")
DEFAULT_LIBRARY = Path("audio_library")


def _offset(moment: datetime) -> str:
    """+07, or +05:30 when the zone has minutes."""
    raw = moment.strftime("%z")
    return raw[:3] if raw.endswith("00") else f"{raw[:3]}:{raw[3:]}"


def summary_line(
    timetable: Timetable, now: datetime, width: int = 0, lang: Language = DEFAULT
) -> str:
    """`man-lan  Xã Mạn Lạn: 15 areas, 22 clusters, 3 slots, next broadcast ...`."""
    commune = timetable.commune
    upcoming = next_occurrence(timetable, now)
    if upcoming is None:
        nxt = _("no broadcast in the next 8 days")
    else:
        nxt = _("next broadcast {broadcast} at {start} {offset}").format(
            broadcast=upcoming.broadcast_id,
            start=f"{upcoming.start:%Y-%m-%d %H:%M}",
            offset=_offset(upcoming.start),
        )
    line = _("{commune}  {name}: {areas}, {clusters}, {slots}, {next}").format(
        commune=commune.id.ljust(width),
        name=commune.name,
        areas=ngettext("{n} area", "{n} areas", len(timetable.areas)),
        clusters=ngettext("{n} cluster", "{n} clusters", len(timetable.clusters)),
        slots=ngettext("{n} slot", "{n} slots", len(timetable.slots)),
        next=nxt,
    )
    said: str = say(line, lang)
    return said


def render(
    found: TimetableSet,
    now: datetime,
    preamble: Sequence[str] = (),
    lang: Language = DEFAULT,
) -> tuple[str, int]:
    """The printed report in `lang` and the exit code (0: no errors, warnings allowed)."""
    lines = [*(say(line, lang) for line in preamble)]
    lines += [problem.said(lang) for problem in found.problems]
    failed = bool(found.errors) or bool(preamble)
    errors = len(found.errors) + len(preamble)
    warnings = ngettext("{n} warning", "{n} warnings", len(found.warnings))
    if failed:
        lines.append(say(
            _("{errors}, {warnings}: fix the errors above and run `broadcastd validate` again.")
            .format(errors=ngettext("{n} error", "{n} errors", errors), warnings=warnings),
            lang,
        ))
        return "\n".join(lines), 1
    if found.warnings:
        lines.append(say(_("{warnings}, no errors.").format(warnings=warnings), lang))
    width = max((len(t.timetable.commune.id) for t in found.timetables), default=0)
    lines += [summary_line(t.timetable, now, width, lang) for t in found.timetables]
    return "\n".join(lines), 0


def validate(
    paths: Sequence[Path], library_dir: Path | None, now: datetime,
    speak: SpeakText | None = None, lang: Language = DEFAULT,
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
            preamble.append(
                _("{error} (audio items were not checked)").format(error=message_of(exc))
            )
    found = load_timetables(list(paths) or [DEFAULT_SCHEDULES], catalogue, speak)
    return render(found, now, preamble, lang)


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
    lang = from_environment(getattr(args, "lang", None))
    text, code = validate(args.paths or [DEFAULT_SCHEDULES], library, datetime.now(UTC), lang=lang)
    print(text)
    return code
