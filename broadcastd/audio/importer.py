"""Importing a programme: validate, convert to the speaker profile, normalise, store.

Every pass is an ffmpeg subprocess reading and writing files, so a 75-minute
relay recording never sits decoded in Python's memory. The result is written to
a temporary file, renamed to `<sha256>.mp3` and only then entered in the
catalogue; any failure removes what this import created.

With `replace`, an existing item is pointed at the new recording: the timetables are
checked with the item at its new length first, and the old file is retired (still
served to broadcasts already sent, see retired.py), not deleted.
"""

from __future__ import annotations

import math
import os
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

from broadcastd.audio import analysis, retired
from broadcastd.audio.analysis import Analysis
from broadcastd.audio.catalogue import AudioEntry, Catalogue, Origin
from broadcastd.audio.errors import (
    EmptyAudio,
    FfmpegFailed,
    InvalidName,
    LibraryWriteError,
    NotAudio,
    NothingToReplace,
    ReplaceRefused,
    SilentAudio,
    TruncatedAudio,
)
from broadcastd.audio.ffmpeg import AudioTools, locate_tools, run_ffmpeg
from broadcastd.audio.files import library_lock, new_temp_path, sha256_file
from broadcastd.audio.names import (
    NAME_RULE_TEXT,
    is_valid_name,
    name_from_filename,
    title_from_filename,
)
from broadcastd.audio.profile import AudioProfile
from broadcastd.i18n import Text, _, listing

#: Output loudness further than this from the target gets one corrective encode.
LOUDNESS_TOLERANCE_LU = 0.5
MAX_ENCODES = 3


@dataclass(frozen=True)
class ImportReport:
    """The new catalogue item and how the import went."""

    entry: AudioEntry
    source_duration_s: float
    trimmed: tuple[float, float] | None
    encodes: int
    reused_file: bool


CheckSwap = Callable[[Catalogue, AudioEntry], Sequence[str]]
"""Given the catalogue as it is and an item as it would become, the problems the swap
would bring into the timetables (each a line for people, a `Text` to be said in the
reader's language), or none."""


@dataclass(frozen=True)
class Replacement:
    """What `--replace` needs from the caller: the timetables' verdict on the new
    recording, and how long the old file stays served (`retired.retention`)."""

    check: CheckSwap
    keep_old_for: timedelta = field(default_factory=retired.retention)


def _default_now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _name_refused(source: Path, name: str) -> Text:
    """Why a name is refused, proposing its id form (`Bản tin T2` -> `ban-tin-t2`)."""
    proposed = name_from_filename(name)
    fix = (
        _("use --name {proposed}").format(proposed=proposed)
        if is_valid_name(proposed)
        else _("give one with --name")
    )
    return _("{file}: catalogue name {name} is not allowed ({rule}); {fix}").format(
        file=source.name, name=repr(name), rule=NAME_RULE_TEXT, fix=fix
    )


def import_file(
    source: Path,
    library_dir: Path,
    *,
    name: str | None = None,
    title: str | None = None,
    trim_silence: bool = False,
    profile: AudioProfile | None = None,
    tools: AudioTools | None = None,
    now: Callable[[], datetime] = _default_now,
    origin: Origin | None = None,
    replace: Replacement | None = None,
) -> ImportReport:
    """Import one file into the library and catalogue, or raise an ImportRefused.

    On refusal or failure the library directory and catalogue are as before. `origin`
    records where the audio came from when it is not the file itself (speech).
    `replace` swaps the recording of an existing item instead of adding one.
    """
    profile = profile or AudioProfile()
    source = Path(source)
    library_dir = Path(library_dir)
    name = name if name is not None else name_from_filename(source.stem)
    given_title = title
    title = title if title is not None else title_from_filename(source.stem)
    if not is_valid_name(name):
        raise InvalidName(_name_refused(source, name))
    _check_source_file(source)
    tools = tools or locate_tools()
    with library_lock(library_dir):
        catalogue = Catalogue.load(library_dir)
        _check_name_free(catalogue, source, name, replace is not None, now())
        if replace is not None and given_title is None:
            title = catalogue.entries[name].title  # the same item, a new recording
        measured = _measure_source(tools, source, profile, trim_silence)
        span = _span_to_keep(source, measured, trim_silence)
        return _convert_and_store(tools, source, library_dir, catalogue, profile, measured,
                                  span, name, title, now, origin, replace)


def _check_name_free(catalogue: Catalogue, source: Path, name: str, replacing: bool,
                     now: datetime) -> None:
    """Before any work: a new item needs a free name, a replacement an existing one."""
    if replacing:
        if catalogue.get(name) is None:
            raise NothingToReplace(_(
                "{file}: there is no item {name} to replace; drop --replace to add it as a "
                "new item (see `broadcastd audio list`)").format(file=source.name,
                                                                 name=repr(name)))
        return
    probe = AudioEntry(name, "", "", 0.0, "", 0.0, 0.0, "", now)
    catalogue.add(probe)  # refuses a taken name
    catalogue.remove(name)


def _check_source_file(source: Path) -> None:
    try:
        size = source.stat().st_size
    except FileNotFoundError:
        raise NotAudio(_("{file}: no such file").format(file=str(source))) from None
    except OSError as exc:
        raise NotAudio(_("{file}: cannot be read: {reason}").format(
            file=str(source), reason=exc.strerror)) from None
    if not source.is_file():
        raise NotAudio(_("{file}: not a regular file").format(file=str(source)))
    if size == 0:
        raise EmptyAudio(_("{file}: the file is empty (0 bytes); copy it again "
                           "from the phone or recorder").format(file=source.name))


def _measure_source(tools: AudioTools, source: Path, profile: AudioProfile,
                    trim_silence: bool) -> Analysis:
    """First pass: decode everything once, measuring loudness, length and silences."""
    run = run_ffmpeg(tools, ["-i", str(source), "-map", "0:a:0", "-vn", "-af",
                             analysis.measure_filter(profile, detect_silence=trim_silence),
                             "-f", "null", "-"])
    if run.returncode != 0:
        raise _refusal_for_failed_decode(source, run.log)
    found = analysis.parse_analysis(run.log, detect_silence=trim_silence)
    if found.decoded_duration_s <= 0.0:
        raise EmptyAudio(_("{file}: holds no audio samples").format(file=source.name))
    if found.problems or analysis.is_truncated(found.declared_duration_s,
                                               found.decoded_duration_s):
        raise TruncatedAudio(_truncation_message(source, found))
    loudness = found.loudness.integrated_lufs
    if not math.isfinite(loudness) or loudness < analysis.SILENT_BELOW_LUFS:
        raise SilentAudio(_("{file}: contains only silence (loudness {loudness}); check "
                            "the recording").format(file=source.name,
                                                    loudness=_fmt_lufs(loudness)))
    return found


def _fmt_lufs(value: float) -> str:
    return f"{value:.1f} LUFS" if math.isfinite(value) else "-inf LUFS"


def _refusal_for_failed_decode(source: Path, log: str) -> Exception:
    problems = analysis.parse_problems(log)
    detail = problems[-1] if problems else "ffmpeg could not read it"
    if "matches no streams" in log or "does not contain any stream" in log:
        return NotAudio(_("{file}: has no audio stream (is it a picture or a "
                          "document?)").format(file=source.name))
    if "moov atom not found" in log:
        return TruncatedAudio(_("{file}: the recording is incomplete (its index is "
                                "missing, as when a phone stops mid-recording); export it "
                                "again").format(file=source.name))
    return NotAudio(_("{file}: not an audio file ffmpeg can decode ({detail})").format(
        file=source.name, detail=detail))


def _truncation_message(source: Path, found: Analysis) -> Text:
    declared = found.declared_duration_s
    if analysis.is_truncated(declared, found.decoded_duration_s) and declared is not None:
        what: str = _("it says it lasts {declared} s but only {decoded} s could be "
                      "decoded").format(declared=f"{declared:.1f}",
                                        decoded=f"{found.decoded_duration_s:.1f}")
    else:
        what = "; ".join(dict.fromkeys(found.problems))[:300]
    return _("{file}: damaged or cut short ({what}); copy or export it again").format(
        file=source.name, what=what)


def _span_to_keep(source: Path, found: Analysis,
                  trim_silence: bool) -> tuple[float, float] | None:
    if not trim_silence:
        return None
    span = analysis.audible_span(found.silences, found.decoded_duration_s)
    if span is None:
        raise SilentAudio(_("{file}: contains only silence; check the recording").format(
            file=source.name))
    if span == (0.0, found.decoded_duration_s):
        return None
    return span


def _encode(tools: AudioTools, source: Path, target: Path, profile: AudioProfile,
            measured: Analysis, span: tuple[float, float] | None,
            target_lufs: float, limit_db: float | None) -> None:
    """One converting pass into `target` (a temporary file in the library)."""
    args = [
        "-i", str(source), "-map", "0:a:0", "-vn", "-sn", "-dn", "-map_metadata", "-1",
        "-af", analysis.encode_filter(profile, measured.loudness, span, target_lufs, limit_db),
        "-ac", str(profile.channels), "-ar", str(profile.sample_rate),
        "-c:a", "libmp3lame", "-b:a", f"{profile.bitrate_kbps}k",
        # Same input, same bytes: no encoder version strings or tags in the file.
        "-fflags", "+bitexact", "-flags:a", "+bitexact", "-id3v2_version", "0",
        "-f", "mp3", "-y", str(target),
    ]
    run = run_ffmpeg(tools, args)
    # ffmpeg may exit 0 after failing to write its output: read the log too.
    if "No space left on device" in run.log or "Disk quota exceeded" in run.log:
        raise LibraryWriteError(_("{file}: the disk holding {folder} is full; nothing was "
                                  "added. Free some space and import again").format(
                                      file=source.name, folder=str(target.parent)))
    problems = analysis.parse_problems(run.log)
    write_errors = [p for p in problems if p.startswith(("Error writing", "Error closing"))]
    if write_errors:
        raise LibraryWriteError(_("{file}: {error}; nothing was added").format(
            file=source.name, error=write_errors[0]))
    if run.returncode == 0:
        return
    raise FfmpegFailed(f"{source.name}: converting failed: "
                       f"{problems[-1] if problems else 'ffmpeg exit ' + str(run.returncode)}")


def _measure(tools: AudioTools, path: Path, profile: AudioProfile,
             span: tuple[float, float] | None = None,
             limit_db: float | None = None) -> Analysis:
    """Measure a file (ours, or the source as it will be limited) as it will be played."""
    run = run_ffmpeg(tools, ["-i", str(path), "-map", "0:a:0", "-vn", "-af",
                             analysis.measure_filter(profile, False, span, limit_db),
                             "-f", "null", "-"])
    if run.returncode != 0:
        raise FfmpegFailed(f"{path.name}: cannot be decoded again while measuring")
    return analysis.parse_analysis(run.log, detect_silence=False)


@dataclass(frozen=True)
class StoredFile:
    """A programme converted into the library as `<sha256>.mp3`, and what it measures."""

    path: Path
    sha256: str
    output: Analysis
    encodes: int
    reused: bool
    created: Path | None
    """The file this conversion put there (None when an identical one was reused)."""


def store_converted(tools: AudioTools, source: Path, library_dir: Path,
                    profile: AudioProfile, measured: Analysis,
                    span: tuple[float, float] | None) -> StoredFile:
    """Encode `source` to the profile and rename it into the library by its sha256.

    The caller holds the library lock; on failure nothing is left behind.
    """
    try:
        temp = new_temp_path(library_dir, "." + profile.extension)
    except OSError as exc:
        raise LibraryWriteError(_("cannot write in {folder}: {reason}").format(
            folder=str(library_dir), reason=exc.strerror)) from None
    created: Path | None = None
    try:
        output, encodes = _encode_to_target(tools, source, temp, profile, measured, span)
        sha = sha256_file(temp)
        final = library_dir / f"{sha}.{profile.extension}"
        reused = final.is_file() and not final.is_symlink() and sha256_file(final) == sha
        if reused:
            temp.unlink()
        else:
            os.replace(temp, final)
            created = final
    except OSError as exc:
        _undo(temp, created)
        raise LibraryWriteError(_("{file}: writing to {folder} failed ({reason}); nothing "
                                  "was added").format(file=source.name, folder=str(library_dir),
                                                      reason=exc.strerror or str(exc))) from None
    except BaseException:
        _undo(temp, created)
        raise
    return StoredFile(final, sha, output, encodes, reused, created)


def convert_into_library(tools: AudioTools, source: Path, library_dir: Path,
                         profile: AudioProfile) -> StoredFile:
    """Measure, check and convert one file into the library, without a catalogue entry
    (synthesised speech kept in the speech cache). The caller holds the library lock."""
    measured = _measure_source(tools, source, profile, trim_silence=False)
    return store_converted(tools, source, library_dir, profile, measured, None)


def _convert_and_store(
    tools: AudioTools, source: Path, library_dir: Path, catalogue: Catalogue,
    profile: AudioProfile, measured: Analysis, span: tuple[float, float] | None,
    name: str, title: str, now: Callable[[], datetime], origin: Origin | None,
    replacement: Replacement | None = None,
) -> ImportReport:
    stored = store_converted(tools, source, library_dir, profile, measured, span)
    output = stored.output
    try:
        entry = AudioEntry(
            name=name, file=stored.path.name, title=unicodedata.normalize("NFC", title),
            duration_s=round(output.decoded_duration_s, 2), sha256=stored.sha256,
            loudness_lufs=round(output.loudness.integrated_lufs, 1),
            true_peak_dbtp=round(output.loudness.true_peak_dbtp, 1),
            source=unicodedata.normalize("NFC", source.name), imported_at=now(),
        )
        if origin is not None:
            entry = replace(entry, source=origin.source, text=origin.text,
                            engine=origin.engine, voice=origin.voice)
        if replacement is None:
            catalogue.add(entry)
        else:
            _swap(catalogue, source, entry, replacement)
        expired = catalogue.prune(entry.imported_at)
        catalogue.save()
    except OSError as exc:
        _forget(stored)
        raise LibraryWriteError(f"{source.name}: writing to {library_dir} failed "
                                f"({exc.strerror or exc}); nothing was added") from None
    except BaseException:
        _forget(stored)
        raise
    retired.delete_expired(catalogue, expired)
    return ImportReport(entry, measured.decoded_duration_s, span, stored.encodes,
                        stored.reused)


def _swap(catalogue: Catalogue, source: Path, entry: AudioEntry,
          replacement: Replacement) -> None:
    """Point the item at its new recording, unless a timetable would break."""
    old = catalogue.entries[entry.name]
    problems = replacement.check(catalogue, entry)
    if problems:
        change = f"{old.duration_s:.1f} s -> {entry.duration_s:.1f} s"
        raise ReplaceRefused(_(
            "{file}: replacing {name} ({change}) would break the timetables that play it; "
            "nothing was changed. Shorten the recording or change these first:\n  {problems}"
        ).format(file=source.name, name=entry.name, change=change,
                 problems=listing(list(problems), "\n  ")))
    catalogue.swap(entry, entry.imported_at + replacement.keep_old_for)


def _encode_to_target(
    tools: AudioTools, source: Path, temp: Path, profile: AudioProfile,
    measured: Analysis, span: tuple[float, float] | None,
) -> tuple[Analysis, int]:
    """Encode, measure the result, and correct the gain if it misses.

    Where the programme's peaks would clip, a limiter goes first and the limited
    signal is measured again, so the gain stays linear. The MP3 encoder's
    low-pass moves loudness a little after loudnorm; measuring the real output
    and correcting once closes that loop.
    """
    target, extra_headroom = profile.target_lufs, 0.0
    output: Analysis | None = None
    encodes = 0
    while encodes < MAX_ENCODES:
        limit_db = analysis.limiter_for(profile, measured.loudness, target, extra_headroom)
        applied = measured
        if limit_db is not None or span is not None:
            applied = _measure(tools, source, profile, span, limit_db)
        _encode(tools, source, temp, profile, applied, span, target, limit_db)
        encodes += 1
        output = _measure(tools, temp, profile)
        error = output.loudness.integrated_lufs - profile.target_lufs
        overshoot = output.loudness.true_peak_dbtp - profile.true_peak_dbtp
        if abs(error) <= LOUDNESS_TOLERANCE_LU and overshoot <= 0.0:
            break
        target = max(-70.0, min(-5.0, target - error))
        if overshoot > 0.0:
            extra_headroom += overshoot + 0.2
    assert output is not None
    return output, encodes


def _forget(stored: StoredFile) -> None:
    """Remove the file an import created (never one it found there and reused)."""
    if stored.created is not None:
        stored.created.unlink(missing_ok=True)


def _undo(temp: Path, created: Path | None) -> None:
    temp.unlink(missing_ok=True)
    if created is not None:
        created.unlink(missing_ok=True)
