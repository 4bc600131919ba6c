"""`broadcastd audio ...`: add, list, check and remove library items.

The lead's CLI calls `register(subparsers, find_uses)`; each command then runs
through `args.func(args)`, which returns the exit code.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from broadcastd.audio.catalogue import AudioEntry, Catalogue, duration_text
from broadcastd.audio.errors import AudioError
from broadcastd.audio.ffmpeg import locate_tools
from broadcastd.audio.importer import Replacement, import_file
from broadcastd.audio.library import FindUses, check_library, remove_item
from broadcastd.audio.profile import AudioProfile
from broadcastd.i18n import LANGUAGES, Language, _, from_environment, ngettext, said_error, say

if TYPE_CHECKING:
    from broadcastd.speech import Speaker

DEFAULT_LIBRARY = Path("audio_library")
ProfileSource = Callable[[], AudioProfile]
SpeakerSource = Callable[[Path], "Speaker"]
ReplacementSource = Callable[[Path], Replacement]
"""For `add --replace`, given the library: the timetables' check and the retention."""


def register(
    subparsers: argparse._SubParsersAction[Any],
    find_uses: FindUses,
    profile: ProfileSource = AudioProfile,
    speaker: SpeakerSource | None = None,
    replacement: ReplacementSource | None = None,
) -> argparse.ArgumentParser:
    """Add the `audio` command group; `find_uses(name)` lists where a timetable uses an item,
    `speaker(library)` speaks text for `audio say` (default: espeak-ng, Vietnamese),
    `replacement(library)` checks timetables for `add --replace` (default: no timetables)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--library", type=Path, default=DEFAULT_LIBRARY, metavar="DIR",
                        help="library directory (default: audio_library)")
    audio: argparse.ArgumentParser = subparsers.add_parser("audio", help="import, list, check and remove programmes",
        description="Manage the audio library the speakers play from.")
    commands = audio.add_subparsers(dest="audio_command", required=True, metavar="COMMAND")

    add = commands.add_parser("add", parents=[common], help="import audio files",
                              description="Convert to the speaker profile, normalise loudness "
                                          "and add to the catalogue.")
    add.add_argument("files", nargs="+", type=Path, metavar="FILE")
    add.add_argument("--title", help="title shown to staff (default: the file name)")
    add.add_argument("--name", help="catalogue name timetables use (default: from the file "
                                    "name, e.g. 'Bản tin sáng.mp3' -> ban-tin-sang)")
    add.add_argument("--trim-silence", action="store_true",
                     help="cut silence at the start and the end")
    add.add_argument("--replace", action="store_true",
                     help="swap the recording of the existing item --name, once every "
                          "timetable that plays it is checked with the new length")
    say = commands.add_parser("say", parents=[common], help="speak a written notice into the library",
                              description="Vietnamese text to speech on this server (tts: in "
                                          "the config), imported like `audio add`.")
    given = say.add_mutually_exclusive_group(required=True)
    given.add_argument("--text", help="the notice; `-` reads it from standard input")
    given.add_argument("--file", type=Path, help="a UTF-8 text file holding the notice")
    say.add_argument("--title", help="title shown to staff (default: the text's beginning)")
    say.add_argument("--name", help="catalogue name (default: from the title)")
    commands.add_parser("list", parents=[common], help="list the catalogue as a table")
    commands.add_parser("check", parents=[common],
                        help="verify every file against its sha256; report orphans")
    remove = commands.add_parser("remove", parents=[common],
                                 help="remove an item no timetable uses")
    remove.add_argument("name", metavar="NAME")
    audio.set_defaults(func=partial(run, find_uses=find_uses, profile=profile, speaker=speaker,
                                    replacement=replacement))
    return audio


def run(args: argparse.Namespace, find_uses: FindUses,
        profile: ProfileSource = AudioProfile,
        out: TextIO | None = None, err: TextIO | None = None,
        speaker: SpeakerSource | None = None,
        replacement: ReplacementSource | None = None) -> int:
    """Run one parsed `audio` command; returns the process exit code."""
    out = out or sys.stdout
    err = err or sys.stderr
    lang: Language = getattr(args, "lang", None) or from_environment()
    try:
        if args.audio_command == "add" and args.replace:
            return _replace(args, profile(), replacement, out, err, lang)
        if args.audio_command == "add":
            return _add(args, profile(), out, err, lang)
        if args.audio_command == "say":
            from broadcastd.speech.say import say as speak_notice

            entry = speak_notice(args, (speaker or _default_speaker)(args.library), profile())
            _print_added(entry, "", out, lang)
            return 0
        if args.audio_command == "list":
            return _list(args.library, out, lang)
        if args.audio_command == "check":
            return _check(args.library, out, err, lang)
        if args.audio_command == "remove":
            entry = remove_item(args.library, args.name, find_uses)
            print(say(_("removed {name} ({title})").format(name=entry.name, title=entry.title),
                      lang), file=out)
            return 0
    except AudioError as exc:
        print(_error(exc, lang), file=err)
        return 1
    raise ValueError(f"unknown audio command {args.audio_command!r}")


def _error(exc: Exception, lang: Language) -> str:
    return str(say(_("error: {error}").format(error=said_error(exc, lang)), lang))


def _add(args: argparse.Namespace, profile: AudioProfile, out: TextIO, err: TextIO,
         lang: Language) -> int:
    if len(args.files) > 1 and (args.name or args.title):
        print(say(_("error: --name and --title apply to one file; add files one at a time"),
                  lang), file=err)
        return 2
    tools = locate_tools()
    failures = 0
    for source in args.files:
        try:
            report = import_file(source, args.library, name=args.name, title=args.title,
                                 trim_silence=args.trim_silence, profile=profile, tools=tools)
        except AudioError as exc:
            print(_error(exc, lang), file=err)
            failures += 1
            continue
        trimmed: str = ""
        if report.trimmed is not None:
            trimmed = _(", trimmed from {seconds} s").format(
                seconds=f"{report.source_duration_s:.1f}")
        _print_added(report.entry, trimmed, out, lang)
    return 1 if failures else 0


def _replace(args: argparse.Namespace, profile: AudioProfile,
             replacement: ReplacementSource | None, out: TextIO, err: TextIO,
             lang: Language) -> int:
    if len(args.files) > 1 or not args.name:
        print(say(_("error: --replace takes one file and the --name of the item to replace"),
                  lang), file=err)
        return 2
    old = Catalogue.load(args.library).get(args.name)
    swap = (replacement or _no_timetables)(args.library)
    report = import_file(args.files[0], args.library, name=args.name, title=args.title,
                         trim_silence=args.trim_silence, profile=profile, replace=swap)
    _print_added(report.entry, "", out, lang, replaced=True)
    kept = next((r for r in Catalogue.load(args.library).retired
                 if old is not None and r.file == old.file), None)
    if kept is not None:
        print(say(_("the old recording {file} stays served to broadcasts already sent "
                    "until {until}").format(file=kept.file, until=kept.keep_until.isoformat()),
                  lang), file=out)
    return 0


def _no_timetables(library: Path) -> Replacement:
    """`--replace` without the CLI's wiring (scripts, tests): no timetable to check."""
    return Replacement(lambda catalogue, entry: [])


def _print_added(e: AudioEntry, trimmed: str, out: TextIO, lang: Language,
                 replaced: bool = False) -> None:
    message = (
        _("replaced {name}: {title} {seconds} s{trimmed}, {lufs} LUFS, true peak "
          "{peak} dBTP -> {file}")
        if replaced else
        _("added {name}: {title} {seconds} s{trimmed}, {lufs} LUFS, true peak "
          "{peak} dBTP -> {file}")
    )
    print(say(message.format(
        name=e.name, title=repr(e.title), seconds=f"{e.duration_s:.1f}", trimmed=trimmed,
        lufs=f"{e.loudness_lufs:.1f}", peak=f"{e.true_peak_dbtp:.1f}", file=e.file), lang),
        file=out)


def _default_speaker(library: Path) -> Speaker:
    from broadcastd.settings import TtsSettings
    from broadcastd.speech import speaker_from_settings

    return speaker_from_settings(TtsSettings(), library)


def format_table(entries: Sequence[AudioEntry], lang: Language = "en") -> list[str]:
    """The `audio list` table: one line per item, aligned columns."""
    header = tuple(say(word, lang) for word in (
        _("NAME"), _("TITLE"), _("LENGTH"), "LUFS", "SHA256", _("SOURCE")))
    rows = [(e.name, e.title, duration_text(e.duration_s), f"{e.loudness_lufs:.1f}",
             e.sha256[:12], e.source) for e in entries]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    return ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip()
            for row in [header, *rows]]


def _list(library: Path, out: TextIO, lang: Language) -> int:
    catalogue = Catalogue.load(library)
    entries = [catalogue.entries[n] for n in sorted(catalogue.entries)]
    if not entries:
        print(say(_("{file}: no items yet; add some with `broadcastd audio add FILE`").format(
            file=str(catalogue.path)), lang), file=out)
        return 0
    for line in format_table(entries, lang):
        print(line, file=out)
    total = sum(e.duration_s for e in entries)
    print(say(ngettext("{n} item, {length} in all", "{n} items, {length} in all",
                       len(entries)).format(length=duration_text(total)), lang), file=out)
    if catalogue.retired:
        print(say(ngettext(
            "{n} replaced recording kept for broadcasts already sent "
            "(see `broadcastd audio check`)",
            "{n} replaced recordings kept for broadcasts already sent "
            "(see `broadcastd audio check`)",
            len(catalogue.retired)).format(), lang), file=out)
    return 0


def _check(library: Path, out: TextIO, err: TextIO, lang: Language) -> int:
    report = check_library(library)
    for line in report.retired:
        print(say(_("retired: {line}").format(line=line), lang), file=out)
    for line in report.lines():
        print(say(line, lang), file=err)
    if report.ok:
        print(say(ngettext(
            "ok: {n} item, every file present and matching its sha256",
            "ok: {n} items, every file present and matching its sha256", report.checked,
        ), lang), file=out)
        return 0
    print(say(ngettext("{n} problem in {folder}", "{n} problems in {folder}",
                       len(report.lines())).format(folder=str(library)), lang), file=err)
    return 1


def main(argv: Sequence[str], find_uses: FindUses) -> int:
    """Parse and run `audio ...` alone (as the lead's CLI would), for tests and scripts."""
    parser = argparse.ArgumentParser(prog="broadcastd")
    parser.add_argument("--lang", choices=LANGUAGES, default=None)
    register(parser.add_subparsers(dest="command", required=True), find_uses)
    args = parser.parse_args(list(argv))
    code: int = args.func(args)
    return code
