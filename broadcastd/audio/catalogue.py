"""The catalogue: `audio_library/catalogue.yaml`, the list of items timetables name.

Written by `broadcastd audio add` in a fixed, human-readable layout; read with
line numbers so a hand edit that breaks it gets an error pointing at the line.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from collections.abc import Mapping
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
class Origin:
    """Where an item's audio came from when it is not the imported file's own name:
    `source: text`, with the text, the engine and the voice that spoke it."""

    source: str
    text: str | None = None
    engine: str | None = None
    voice: str | None = None


def _q(text: str) -> str:
    """A YAML double-quoted scalar (JSON strings are valid YAML), diacritics kept."""
    return json.dumps(text, ensure_ascii=False)


def render(entries: Mapping[str, AudioEntry]) -> str:
    """The catalogue text, in the documented fixed layout, items sorted by name."""
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


def _entry(name: str, node: yaml.Node) -> AudioEntry:
    fields: dict[str, yaml.Node] = {}
    for key_node, value_node in _mapping(node, f"item {name!r}"):
        key = _scalar(key_node, "a key")
        if key not in _FIELDS + _SPEECH_FIELDS:
            raise _Problem(key_node, f"item {name!r} has unknown key {key!r} "
                           f"(known: {', '.join(_FIELDS + _SPEECH_FIELDS)})")
        fields[key] = value_node
    missing = [f for f in _FIELDS if f not in fields]
    if missing:
        raise _Problem(node, f"item {name!r} lacks {', '.join(missing)}")
    file = _scalar(fields["file"], "file")
    if not FILE_RULE.fullmatch(file):
        raise _Problem(fields["file"], f"item {name!r}: file {file!r} is not <sha256>.mp3")
    sha = _scalar(fields["sha256"], "sha256")
    if not SHA256_RULE.fullmatch(sha) or file != f"{sha}.mp3":
        raise _Problem(fields["sha256"], f"item {name!r}: sha256 must be 64 hex digits "
                       "and match the file name")
    stamp = _scalar(fields["imported_at"], "imported_at")
    try:
        imported_at = datetime.fromisoformat(stamp)
    except ValueError:
        raise _Problem(fields["imported_at"], f"item {name!r}: imported_at {stamp!r} "
                       "is not an ISO 8601 time") from None
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


def parse(text: str) -> dict[str, AudioEntry]:
    """Entries from catalogue text; raises _Problem (with a line) or YamlSyntaxError."""
    _data, root = read_yaml(text, _READ_LIMITS)
    if root is None:
        return {}
    version: str | None = None
    items: dict[str, AudioEntry] = {}
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
        else:
            raise _Problem(key_node, f"unknown top-level key {key!r} (known: version, items)")
    if version is None:
        raise _Problem(root, "the 'version: 1' line is missing")
    return items


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

    def __init__(self, library_dir: Path, entries: Mapping[str, AudioEntry] | None = None):
        self.library_dir = Path(library_dir)
        self._entries: dict[str, AudioEntry] = dict(entries or {})

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
            return cls(library_dir, parse(text))
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

    def add(self, entry: AudioEntry) -> None:
        """Add an item; a taken name is refused (remove the old one first)."""
        if entry.name in self._entries:
            taken = self._entries[entry.name]
            raise NameTaken(_("the name {name} is already used by {title} (from {source}); "
                              "choose another --name or `broadcastd audio remove {id}` "
                              "first").format(name=repr(entry.name), title=repr(taken.title),
                                              source=repr(taken.source), id=entry.name))
        self._entries[entry.name] = entry

    def remove(self, name: str) -> AudioEntry:
        """Drop an item from the catalogue (its file is the caller's business)."""
        try:
            return self._entries.pop(name)
        except KeyError:
            raise KeyError(name) from None

    def save(self) -> None:
        """Write the catalogue atomically."""
        self.library_dir.mkdir(parents=True, exist_ok=True)
        write_atomically(self.path, render(self._entries).encode("utf-8"))
