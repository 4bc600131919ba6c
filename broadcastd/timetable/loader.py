"""Load every commune's timetable and collect every problem, each with file and line.

Used by `broadcastd validate` and by the daemon, so both see the same problems. A file
that fails never stops the others; within a file, every problem is reported at once.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from broadcastd.audio.catalogue import Catalogue
from broadcastd.i18n import Text, _, listing
from broadcastd.timetable import checks
from broadcastd.timetable.explain import explain
from broadcastd.timetable.model import Timetable
from broadcastd.timetable.problems import Finding, Problem, Severity
from broadcastd.timetable.source import (
    KeyPath,
    YamlSyntaxError,
    child,
    display_path,
    duplicate_keys,
    line_of,
    read_yaml,
    scalar,
    value_node,
)

__all__ = [
    "LoadedTimetable",
    "Problem",
    "SpeakText",
    "TimetableSet",
    "find_uses",
    "find_uses_of",
    "load_timetables",
    "timetable_files",
]

SUFFIXES = (".yaml", ".yml")
SpeakText = Callable[[str], "float | checks.Unspoken"]
"""The edge that speaks a `text:` item (synthesising it, or finding it cached) and says
how long the speech lasts, or why it cannot be spoken. The core never synthesises."""
MAX_PROBLEMS = 100
"""Problems told per file: past this, the rest would bury the first fixes (and cost
time quadratic in their number to place on lines)."""


@dataclass(frozen=True)
class LoadedTimetable:
    """A timetable that parsed, with the file it came from and its YAML node tree."""

    timetable: Timetable
    path: Path
    root: yaml.Node = field(repr=False, compare=False)

    def line_of(self, *key_path: str | int) -> int | None:
        """1-based line of a key path such as ("slots", 0, "start")."""
        return line_of(self.root, key_path)

    def key_path(self, *key_path: str | int) -> str:
        """The key path as people read it: `slots -> morning -> start`."""
        return display_path(self.root, key_path)


@dataclass(frozen=True)
class TimetableSet:
    """Every timetable that parsed, and every problem found in any of them.

    `timetables` holds each file whose content is a valid timetable, even when a rule
    across it failed (see `problems`); a later file repeating a commune is left out.
    """

    timetables: list[LoadedTimetable]
    problems: list[Problem]

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.severity == "warning"]

    @property
    def ok(self) -> bool:
        return not self.errors

    def by_commune(self) -> dict[str, Timetable]:
        return {loaded.timetable.commune.id: loaded.timetable for loaded in self.timetables}


@dataclass(frozen=True)
class _AudioFacts:
    """What the checks need from the catalogue, gathered once (file existence is I/O)."""

    durations: Mapping[str, float]
    missing_files: AbstractSet[str]

    @classmethod
    def of(cls, catalogue: Catalogue) -> _AudioFacts:
        entries = catalogue.entries
        return cls(
            durations={name: entry.duration_s for name, entry in entries.items()},
            missing_files=frozenset(
                name for name, entry in entries.items() if not catalogue.path_of(entry).is_file()
            ),
        )


def _problem(
    file: Path, message: str, fix: str, line: int | None = None, severity: Severity = "error"
) -> Problem:
    return Problem(file, line, "", message, fix, severity)


def timetable_files(paths: Sequence[Path]) -> tuple[list[Path], list[Problem]]:
    """The files to load: every *.yaml / *.yml of each folder (sorted), and each file."""
    files: list[Path] = []
    problems: list[Problem] = []
    seen: set[Path] = set()
    for path in paths:
        if path.is_dir():
            found = sorted(
                p for p in path.iterdir()
                if p.suffix in SUFFIXES and p.is_file() and not p.name.startswith(".")
            )
            if not found:
                problems.append(_problem(
                    path, _("no timetable files (*.yaml) in this folder"),
                    _("add one file per commune; see docs/timetables.md"),
                ))
        elif path.is_file():
            found = [path]
        else:
            problems.append(_problem(
                path, _("no such file or folder"), _("check the path you gave")
            ))
            found = []
        for file in found:
            if file.resolve() not in seen:
                seen.add(file.resolve())
                files.append(file)
    return files, problems


def _read(path: Path) -> tuple[Any, yaml.Node | None] | Problem:
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        return _problem(
            path, _("the file is not UTF-8 text"),
            _("save it with the UTF-8 encoding (in Notepad: Save As, Encoding: UTF-8)"),
        )
    except OSError as exc:
        return _problem(
            path,
            _("the file cannot be read: {reason}").format(reason=exc.strerror),
            _("check its permissions"),
        )
    try:
        return read_yaml(text)
    except YamlSyntaxError as exc:
        return _problem(
            path,
            _("this is not valid YAML: {problem}").format(problem=exc.problem),
            exc.hint,
            exc.line,
        )


def _to_problem(path: Path, root: yaml.Node | None, finding: Finding) -> Problem:
    return Problem(
        file=path,
        line=line_of(root, finding.path),
        key_path=display_path(root, finding.path),
        message=finding.message,
        fix=finding.fix,
        severity=finding.severity,
    )


def _without(data: Any, paths: Sequence[KeyPath]) -> Any:
    """A copy of the data without the keys at `paths` (unknown keys, to check the rest)."""
    if not paths:
        return data
    if isinstance(data, dict):
        heads = {p[0] for p in paths if len(p) == 1}
        return {
            key: _without(value, [p[1:] for p in paths if len(p) > 1 and p[0] == key])
            for key, value in data.items()
            if key not in heads
        }
    if isinstance(data, list):
        return [
            _without(item, [p[1:] for p in paths if len(p) > 1 and p[0] == index])
            for index, item in enumerate(data)
        ]
    return data


def _validate(data: Any, root: yaml.Node | None) -> tuple[Timetable | None, list[Finding]]:
    """The model and the schema findings. When unknown keys are the only trouble, the
    rest is still checked, so their fix does not reveal a second round of errors."""
    try:
        return Timetable.model_validate(data), []
    except ValidationError as exc:
        errors = exc.errors()
        findings = explain(errors[:MAX_PROBLEMS], root)
    unknown = [tuple(e["loc"]) for e in errors if e["type"] == "extra_forbidden"]
    if len(unknown) != len(errors) or len(errors) > MAX_PROBLEMS:
        return None, findings
    try:
        return Timetable.model_validate(_without(data, unknown)), findings
    except ValidationError:
        return None, findings


def load_file(
    path: Path, audio: _AudioFacts | None = None, speak: SpeakText | None = None
) -> tuple[LoadedTimetable | None, list[Problem]]:
    """One timetable file, and every problem in it (catalogue rules when `audio`; its
    `text:` items spoken when `speak`, so their length counts in the window check)."""
    read = _read(path)
    if isinstance(read, Problem):
        return None, [read]
    data, root = read
    if root is None:
        return None, [_problem(
            path,
            _("the file is empty"),
            _("write the commune's timetable; see docs/timetables.md"),
        )]
    if not isinstance(data, dict):
        return None, [_problem(
            path, _("the file does not hold a timetable (`commune:`, `areas:`, `slots:` ...)"),
            _("start from the example in docs/timetables.md"), root.start_mark.line + 1,
        )]
    problems = [
        Problem(
            path,
            line,
            display_path(root, key_path),
            _("`{key}` is written twice here").format(key=key_path[-1]),
            _("keep one of them: YAML would silently use only the last"),
        )
        for key_path, line in duplicate_keys(root)[:MAX_PROBLEMS]
    ]
    timetable, findings = _validate(data, root)
    if timetable is not None:
        findings += checks.check_timetable(timetable)
        spoken = {text: speak(text) for text in checks.timetable_texts(timetable)} if speak else {}
        if audio is not None:
            findings += checks.check_audio(
                timetable, audio.durations, audio.missing_files, spoken
            )
        else:  # stream-only playlists (and spoken texts) can still be measured
            findings += checks.check_texts(timetable, spoken)
            findings += checks.check_lengths(timetable, {}, spoken)
    problems += [_to_problem(path, root, finding) for finding in findings[:MAX_PROBLEMS]]
    if len(problems) >= MAX_PROBLEMS:
        problems = problems[:MAX_PROBLEMS]
        problems.append(_problem(
            path,
            _("more problems than the first {count} shown were not listed").format(
                count=MAX_PROBLEMS
            ),
            _("fix these, then run `broadcastd validate` again"),
        ))
    loaded = LoadedTimetable(timetable, path, root) if timetable is not None else None
    return loaded, problems


def _load_guarded(
    path: Path, audio: _AudioFacts | None, speak: SpeakText | None
) -> tuple[LoadedTimetable | None, list[Problem]]:
    """`load_file`, but a bug met on one file is that file's problem, never the others'.

    The fault suite checks that this net never catches anything."""
    try:
        return load_file(path, audio, speak)
    except Exception as exc:  # noqa: BLE001 - one file must not stop every commune
        return None, [_problem(
            path,
            _("the file could not be checked ({error})").format(
                error=f"{type(exc).__name__}: {exc}"
            ),
            _("report this to the maintainers with the file; meanwhile fix or remove it"),
        )]


def load_timetables(
    paths: Sequence[Path], catalogue: Catalogue | None, speak: SpeakText | None = None
) -> TimetableSet:
    """Every timetable under `paths` (folders or files) and every problem in any of them.

    With `catalogue` None the audio checks are skipped (the daemon without a library,
    or `validate` when the catalogue itself is broken). With `speak` None the `text:`
    items are not spoken, and the windows they are in not measured.
    """
    files, problems = timetable_files([Path(p) for p in paths])
    audio = _AudioFacts.of(catalogue) if catalogue is not None else None
    loaded: list[LoadedTimetable] = []
    for file in files:
        timetable, found = _load_guarded(file, audio, speak)
        problems += found
        if timetable is not None:
            loaded.append(timetable)
    repeated = checks.duplicate_communes(
        [(str(item.path), item.timetable.commune.id) for item in loaded]
    )
    for index, finding in repeated:
        problems.append(_to_problem(loaded[index].path, loaded[index].root, finding))
    dropped = {index for index, _finding in repeated}
    kept = [item for index, item in enumerate(loaded) if index not in dropped]
    return TimetableSet(kept, sorted(problems, key=Problem.sort_key))


# --- where an audio item is used -----------------------------------------------------


def _uses_in(root: yaml.Node, audio_names: Collection[str]) -> list[tuple[str, int, str]]:
    """(name, line, "slot morning") for each playlist item naming one of `audio_names` (as
    `audio:` or as a stream's `fallback:`), in a slot's playlist, in its playlists for
    given dates (`on:`, "slot morning on 2026-12-02"), or in a one-off slot."""
    found: list[tuple[str, int, str]] = []

    def scan_playlist(playlist: yaml.Node | None, label: str) -> None:
        if not isinstance(playlist, yaml.SequenceNode):
            return
        for item in playlist.value:
            for key in ("audio", "fallback"):
                pair = child(item, key)
                name = scalar(pair[1]) if pair is not None else None
                if pair is not None and name is not None and name in audio_names:
                    found.append((name, pair[0].start_mark.line + 1, label))

    def scan(slot: yaml.Node, label: Text) -> None:
        slot_label = label.format(slot=scalar(value_node(slot, ("id",))) or "?")
        scan_playlist(value_node(slot, ("playlist",)), slot_label)
        dated = value_node(slot, ("on",))
        for entry in dated.value if isinstance(dated, yaml.SequenceNode) else []:
            day = scalar(value_node(entry, ("date",))) or "?"
            scan_playlist(
                value_node(entry, ("playlist",)),
                _("{slot} on {date}").format(slot=slot_label, date=day),
            )

    slots = value_node(root, ("slots",))
    for slot in slots.value if isinstance(slots, yaml.SequenceNode) else []:
        scan(slot, _("slot {slot}"))
    exceptions = value_node(root, ("exceptions",))
    for exception in exceptions.value if isinstance(exceptions, yaml.SequenceNode) else []:
        day = scalar(value_node(exception, ("date",))) or "?"
        added = value_node(exception, ("add",))
        for slot in added.value if isinstance(added, yaml.SequenceNode) else []:
            scan(slot, _("one-off slot {slot} on {date}").format(date=day))
    return found


def find_uses(paths: Sequence[Path], audio_name: str) -> list[str]:
    """Where timetables play an audio item: `schedules/man-lan.yaml:42 slot morning`.

    Works on files with other errors too. A file that cannot be read as YAML is listed
    as a possible use, so that `broadcastd audio remove` stays on the safe side.
    """
    return find_uses_of(paths, [audio_name])[audio_name]


def find_uses_of(paths: Sequence[Path], audio_names: Collection[str]) -> dict[str, list[str]]:
    """`find_uses` for several items at once (the console's library page), each file
    read once: a page of a hundred items must not parse every timetable a hundred times."""
    files, _unused = timetable_files([Path(p) for p in paths])
    wanted = frozenset(audio_names)
    uses: dict[str, list[str]] = {name: [] for name in wanted}
    for file in files:
        read = _read(file)
        if isinstance(read, Problem):
            where = f"{file}:{read.line}" if read.line else str(file)
            for found in uses.values():
                found.append(_("{where} cannot be read ({reason}), so it may use it").format(
                    where=where, reason=read.message))
            continue
        _data, root = read
        if root is not None:
            for name, line, label in _uses_in(root, wanted):
                uses[name].append(listing([f"{file}:{line}", label], " "))
    return uses
