"""The catalogue: `audio_library/catalogue.yaml`, the list of items timetables name.

Written by `broadcastd audio add` in a fixed, human-readable layout; read with
line numbers so a hand edit that breaks it gets an error pointing at the line.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import MappingProxyType

import yaml

from broadcastd.audio.errors import CatalogueError, NameTaken
from broadcastd.audio.names import NAME_RULE_TEXT, is_valid_name
from broadcastd.i18n import _
from broadcastd.yaml_reader import ReadLimits, YamlSyntaxError, read_yaml

CATALOGUE_FILE = "catalogue.yaml"
FORMAT_VERSION = 1
FILE_RULE = re.compile(r"^[0-9a-f]{64}\.mp3$")
SHA256_RULE = re.compile(r"^[0-9a-f]{64}$")

HEADER = """\
# broadcastd audio catalogue: the items that timetables name.
# Written by `broadcastd audio add` (and `audio remove`); edit titles by hand if
# you must, but add and remove items with those commands so the files stay in step.
# Check it with `broadcastd audio check`.
"""

_FIELDS = ("file", "title", "duration_s", "sha256", "loudness_lufs", "true_peak_dbtp",
           "source", "imported_at")
#: Written only for speech made from text (`source: text`): what was said, and how.
_SPEECH_FIELDS = ("text", "engine", "voice")


@dataclass(frozen=True)
class AudioEntry:
    """One catalogue item: a normalised file in the library and what is known of it."""

    name: str
    file: str
    title: str
    duration_s: float
    sha256: str
    loudness_lufs: float
    true_peak_dbtp: float
    source: str
    imported_at: datetime
    text: str | None = None
    engine: str | None = None
    voice: str | None = None


@dataclass(frozen=True)
class RetiredFile:
    """A file an item pointed to before `audio add --replace`: still served until
    `keep_until`, since a broadcast sent before the swap may still fetch it."""

    file: str
    sha256: str
    name: str
    retired_at: datetime
    keep_until: datetime


_RETIRED_FIELDS = ("file", "sha256", "name", "retired_at", "keep_until")


@dataclass(frozen=True)
class Origin:
    """Where an item's audio came from when it is not the imported file's own name:
    `source: text`, with the text, the engine and the voice that spoke it."""

    source: str
    text: str | None = None
    engine: str | None = None
    voice: str | None = None


def duration_text(seconds: float) -> str:
    """An item's length as staff read it, `m:ss` (a 75-minute relay is 75:00): the same in
    `broadcastd audio list` and on the console's library page."""
    minutes, secs = divmod(round(seconds), 60)
    return f"{minutes}:{secs:02d}"


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML), diacritics kept."""
    return json.dumps(text, ensure_ascii=False)


def render(entries: Mapping[str, AudioEntry], retired: Sequence[RetiredFile] = ()) -> str:
    """The catalogue text, in the documented fixed layout, items sorted by name, then
    the retired files (if any) by when they were retired."""
    lines = [HEADER.rstrip("\n"), f"version: {FORMAT_VERSION}"]
    if not entries:
        lines.append("items: {}")
    else:
        lines.append("items:")
    for name in sorted(entries):
        e = entries[name]
        lines += [
            f"  {name}:",
            f"    file: {e.file}",
            f"    title: {_q(e.title)}",
            f"    duration_s: {e.duration_s:.2f}",
            f"    sha256: {e.sha256}",
            f"    loudness_lufs: {e.loudness_lufs:.1f}",
            f"    true_peak_dbtp: {e.true_peak_dbtp:.1f}",
            f"    source: {_q(e.source)}",
            f"    imported_at: {_q(e.imported_at.isoformat())}",
        ]
        lines += [f"    {key}: {_q(value)}" for key in _SPEECH_FIELDS
                  if (value := getattr(e, key)) is not None]
    if retired:
        lines.append("retired:")
    for r in sorted(retired, key=lambda r: (r.retired_at, r.file)):
        lines += [
            f"  - file: {r.file}",
            f"    sha256: {r.sha256}",
            f"    name: {r.name}",
            f"    retired_at: {_q(r.retired_at.isoformat())}",
            f"    keep_until: {_q(r.keep_until.isoformat())}",
        ]
    return "\n".join(lines) + "\n"


class _Problem(Exception):
    def __init__(self, node: yaml.Node, message: str) -> None:
        super().__init__(message)
        self.line = node.start_mark.line + 1


def _mapping(node: yaml.Node, what: str) -> list[tuple[yaml.Node, yaml.Node]]:
    if not isinstance(node, yaml.MappingNode):
        raise _Problem(node, f"{what} must be a mapping of keys to values")
    return list(node.value)


def _scalar(node: yaml.Node, what: str) -> str:
    if not isinstance(node, yaml.ScalarNode):
        raise _Problem(node, f"{what} must be a single value")
    return str(node.value)


def _number(node: yaml.Node, what: str) -> float:
    raw = _scalar(node, what)
    try:
        return float(raw)
    except ValueError:
        raise _Problem(node, f"{what} must be a number, not {raw!r}") from None


def _file_and_sha(fields: Mapping[str, yaml.Node], what: str) -> tuple[str, str]:
    file = _scalar(fields["file"], "file")
    if not FILE_RULE.fullmatch(file):
        raise _Problem(fields["file"], f"{what}: file {file!r} is not <sha256>.mp3")
    sha = _scalar(fields["sha256"], "sha256")
    if not SHA256_RULE.fullmatch(sha) or file != f"{sha}.mp3":
        raise _Problem(fields["sha256"], f"{what}: sha256 must be 64 hex digits "
                       "and match the file name")
    return file, sha


def _time(fields: Mapping[str, yaml.Node], key: str, what: str) -> datetime:
    stamp = _scalar(fields[key], key)
    try:
        return datetime.fromisoformat(stamp)
    except ValueError:
        raise _Problem(fields[key], f"{what}: {key} {stamp!r} "
                       "is not an ISO 8601 time") from None


def _fields(node: yaml.Node, what: str, known: Sequence[str],
            required: Sequence[str]) -> dict[str, yaml.Node]:
    fields: dict[str, yaml.Node] = {}
    for key_node, value_node in _mapping(node, what):
        key = _scalar(key_node, "a key")
        if key not in known:
            raise _Problem(key_node, f"{what} has unknown key {key!r} "
                           f"(known: {', '.join(known)})")
        fields[key] = value_node
    missing = [f for f in required if f not in fields]
    if missing:
        raise _Problem(node, f"{what} lacks {', '.join(missing)}")
    return fields


def _retired(node: yaml.Node) -> list[RetiredFile]:
    if isinstance(node, yaml.ScalarNode) and node.value in ("", "null"):
        return []
    if not isinstance(node, yaml.SequenceNode):
        raise _Problem(node, "retired must be a list of files")
    found = []
    for item in node.value:
        what = "a retired file"
        fields = _fields(item, what, _RETIRED_FIELDS, _RETIRED_FIELDS)
        file, sha = _file_and_sha(fields, what)
        found.append(RetiredFile(file, sha, _scalar(fields["name"], "name"),
                                 _time(fields, "retired_at", what),
                                 _time(fields, "keep_until", what)))
    return found


def _entry(name: str, node: yaml.Node) -> AudioEntry:
    what = f"item {name!r}"
    fields = _fields(node, what, _FIELDS + _SPEECH_FIELDS, _FIELDS)
    file, sha = _file_and_sha(fields, what)
    imported_at = _time(fields, "imported_at", what)
    return AudioEntry(
        name=name, file=file, title=_scalar(fields["title"], "title"),
        duration_s=_number(fields["duration_s"], "duration_s"), sha256=sha,
        loudness_lufs=_number(fields["loudness_lufs"], "loudness_lufs"),
        true_peak_dbtp=_number(fields["true_peak_dbtp"], "true_peak_dbtp"),
        source=_scalar(fields["source"], "source"), imported_at=imported_at,
        **{key: _scalar(fields[key], key) for key in _SPEECH_FIELDS if key in fields},
    )


# A catalogue lists every item of a library: room for thousands, yet bounded like a
# timetable, so a damaged or hostile file cannot hang the daemon (alias bombs, nesting).
_READ_LIMITS = ReadLimits(max_bytes=16 << 20, max_nodes=1_000_000)


def parse(text: str) -> tuple[dict[str, AudioEntry], list[RetiredFile]]:
    """Entries and retired files from catalogue text; raises _Problem (with a line) or
    YamlSyntaxError."""
    _, root = read_yaml(text, _READ_LIMITS)
    if root is None:
        return {}, []
    version: str | None = None
    items: dict[str, AudioEntry] = {}
    retired: list[RetiredFile] = []
    for key_node, value_node in _mapping(root, "the catalogue"):
        key = _scalar(key_node, "a key")
        if key == "version":
            version = _scalar(value_node, "version")
            if version != str(FORMAT_VERSION):
                raise _Problem(value_node, f"version {version} is not supported "
                               f"(this broadcastd reads version {FORMAT_VERSION})")
        elif key == "items":
            if isinstance(value_node, yaml.ScalarNode) and value_node.value in ("", "null"):
                continue
            for name_node, entry_node in _mapping(value_node, "items"):
                name = _scalar(name_node, "an item name")
                if not is_valid_name(name):
                    raise _Problem(name_node, f"item name {name!r} breaks the rule: "
                                   f"{NAME_RULE_TEXT}")
                if name in items:
                    raise _Problem(name_node, f"item {name!r} appears twice")
                items[name] = _entry(name, entry_node)
        elif key == "retired":
            retired = _retired(value_node)
        else:
            raise _Problem(key_node, f"unknown top-level key {key!r} "
                           "(known: version, items, retired)")
    if version is None:
        raise _Problem(root, "the 'version: 1' line is missing")
    return items, retired


def _temp_path(directory: Path, prefix: str) -> Path:
    """A fresh temporary file beside the target, so the final rename is atomic."""
    fd, name = tempfile.mkstemp(dir=directory, prefix=prefix)
    try:
        os.fchmod(fd, 0o644)  # readable by the daemon and by people
    finally:
        os.close(fd)
    return Path(name)


def write_atomically(target: Path, data: bytes) -> None:
    """Replace `target` with `data` all at once: readers see the old or the new file.

    On any failure (disk full included) the temporary file is removed and the
    old file stays untouched.
    """
    tmp = _temp_path(target.parent, f".{target.name}.")
    try:
        with open(tmp, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Catalogue:
    """The items of one library directory; load, look up, change, save."""

    def __init__(self, library_dir: Path, entries: Mapping[str, AudioEntry] | None = None,
                 retired: Sequence[RetiredFile] = ()):
        self.library_dir = Path(library_dir)
        self._entries: dict[str, AudioEntry] = dict(entries or {})
        self._retired: list[RetiredFile] = list(retired)

    @classmethod
    def load(cls, library_dir: Path) -> Catalogue:
        """Read the catalogue; a missing file is an empty catalogue."""
        path = Path(library_dir) / CATALOGUE_FILE
        try:
            text = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return cls(library_dir)
        except UnicodeDecodeError as exc:
            raise CatalogueError(_("{file}: not UTF-8 text ({error}); restore it from a backup "
                                   "or re-import the items").format(file=str(path),
                                                                    error=str(exc))) from None
        except OSError as exc:
            raise CatalogueError(_("{file}: cannot be read: {reason}").format(
                file=str(path), reason=exc.strerror)) from None
        try:
            return cls(library_dir, *parse(text))
        except _Problem as exc:
            raise CatalogueError(_("{file}, line {line}: {problem}; fix that line (or restore "
                                   "the file) and run `broadcastd audio check`").format(
                                       file=str(path), line=exc.line, problem=str(exc))
                                 ) from None
        except YamlSyntaxError as exc:
            where = (_("{file}, line {line}").format(file=str(path), line=exc.line)
                     if exc.line is not None else str(path))
            raise CatalogueError(_("{where}: not valid YAML ({problem}); {hint}, or restore the "
                                   "file, and run `broadcastd audio check`").format(
                                       where=where, problem=exc.problem, hint=exc.hint)
                                 ) from None

    @property
    def path(self) -> Path:
        """Where this catalogue is saved."""
        return self.library_dir / CATALOGUE_FILE

    @property
    def entries(self) -> Mapping[str, AudioEntry]:
        """Read-only view of the items by catalogue name."""
        return MappingProxyType(self._entries)

    def get(self, name: str) -> AudioEntry | None:
        """The item of that name, or None."""
        return self._entries.get(name)

    def path_of(self, entry: AudioEntry) -> Path:
        """The library file of an item."""
        return self.library_dir / entry.file

    def files(self) -> set[str]:
        """Library file names the catalogue refers to."""
        return {e.file for e in self._entries.values()}

    @property
    def retired(self) -> Sequence[RetiredFile]:
        """Files items pointed to before a replace, kept for broadcasts already sent."""
        return tuple(self._retired)

    def served_files(self) -> set[str]:
        """Files the speakers may fetch: the items' and the retired ones (see `retired`)."""
        return self.files() | {r.file for r in self._retired}

    def add(self, entry: AudioEntry) -> None:
        """Add an item; a taken name is refused (see `swap` to replace its recording)."""
        if entry.name in self._entries:
            taken = self._entries[entry.name]
            raise NameTaken(_("the name {name} is already used by {title} (from {source}); "
                              "choose another --name, or add --replace to swap the "
                              "recording").format(name=repr(entry.name), title=repr(taken.title),
                                                  source=repr(taken.source)))
        self._entries[entry.name] = entry

    def swap(self, entry: AudioEntry, keep_until: datetime) -> RetiredFile | None:
        """Point an existing item at a new recording. Its old file, unless another item
        still uses it, is retired until `keep_until` (returned); None when nothing retires."""
        old = self._entries[entry.name]
        self._entries[entry.name] = entry
        self._retired = [r for r in self._retired if r.file not in self.files()]
        if old.file in self.files():
            return None
        retired = RetiredFile(old.file, old.sha256, old.name, entry.imported_at, keep_until)
        self._retired = [r for r in self._retired if r.file != old.file] + [retired]
        return retired

    def prune(self, now: datetime) -> list[RetiredFile]:
        """Forget retired files past their `keep_until` (and any an item uses again);
        returns the expired ones, whose files the caller deletes after saving."""
        expired = [r for r in self._retired if r.keep_until <= now]
        in_use = self.files()
        self._retired = [r for r in self._retired
                         if r.keep_until > now and r.file not in in_use]
        return [r for r in expired if r.file not in in_use]

    def remove(self, name: str) -> AudioEntry:
        """Drop an item from the catalogue (its file is the caller's business)."""
        try:
            return self._entries.pop(name)
        except KeyError:
            raise KeyError(name) from None

    def save(self) -> None:
        """Write the catalogue atomically."""
        self.library_dir.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path, render(self._entries, self._retired).encode("utf-8"))
