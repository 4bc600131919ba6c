"""Library upkeep: removing items and checking files against the catalogue."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from broadcastd.audio import retired
from broadcastd.audio.catalogue import CATALOGUE_FILE, AudioEntry, Catalogue
from broadcastd.audio.errors import AudioError
from broadcastd.audio.files import LOCK_FILE, TEMP_PREFIX, library_lock, sha256_file
from broadcastd.i18n import _, listing
from broadcastd.speech.cache import cached_files

#: Files that belong in the library besides the audio itself (`speech/`: the cache of
#: spoken `text:` items, see broadcastd/speech/cache.py).
KNOWN_FILES = frozenset({CATALOGUE_FILE, LOCK_FILE, "README.md", "speech"})

FindUses = Callable[[str], list[str]]


class ItemInUse(AudioError):
    """An item cannot be removed while a timetable plays it."""


class UnknownItem(AudioError):
    """No catalogue item has that name."""


def remove_item(library_dir: Path, name: str, find_uses: FindUses,
                now: Callable[[], datetime] = lambda: datetime.now(UTC)) -> AudioEntry:
    """Remove an item and, if no other item shares it, its file (and retired files past
    their time, see retired.py).

    Refused while a timetable uses the item: removing it would silence a slot.
    """
    uses = find_uses(name)
    if uses:
        raise ItemInUse(_("{name} is still used by: {uses}. Change those timetables "
                          "first").format(name=repr(name), uses=listing(uses, "; ")))
    with library_lock(library_dir):
        catalogue = Catalogue.load(library_dir)
        entry = catalogue.get(name)
        if entry is None:
            raise UnknownItem(_("no item named {name} in {file}; see `broadcastd audio "
                                "list`").format(name=repr(name), file=str(catalogue.path)))
        catalogue.remove(name)
        expired = catalogue.prune(now())
        catalogue.save()
        if entry.file not in catalogue.served_files() | cached_files(library_dir):
            catalogue.path_of(entry).unlink(missing_ok=True)
        retired.delete_expired(catalogue, expired)
    return entry


@dataclass
class CheckReport:
    """What `audio check` found; empty lists mean a healthy library."""

    checked: int = 0
    missing: list[str] = field(default_factory=list)
    drifted: list[str] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)
    leftovers: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    """Replaced recordings still kept (not problems): `<file> (was <name>) kept until ...`."""

    @property
    def ok(self) -> bool:
        """True when every item's file is present and intact, with nothing stray."""
        return not (self.missing or self.drifted or self.orphans or self.leftovers)

    def lines(self) -> list[str]:
        """One human line per problem."""
        lines: list[str] = []
        return lines + (
            [_("missing: {item}").format(item=m) for m in self.missing]
            + [_("changed on disk (sha256 differs): {item}").format(item=d) for d in self.drifted]
            + [_("orphan file (in no catalogue item): {item}").format(item=o)
               for o in self.orphans]
            + [_("left over from an interrupted import: {item}").format(item=x)
               for x in self.leftovers]
        )


def check_library(library_dir: Path) -> CheckReport:
    """Compare every catalogue item with its file, and list files no item names."""
    catalogue = Catalogue.load(library_dir)
    report = CheckReport()
    for name, entry in sorted(catalogue.entries.items()):
        report.checked += 1
        path = catalogue.path_of(entry)
        if not path.is_file() or path.is_symlink():
            report.missing.append(f"{name} -> {entry.file}")
        elif sha256_file(path) != entry.sha256:
            report.drifted.append(f"{name} -> {entry.file}")
    for old in catalogue.retired:
        gone = "" if (library_dir / old.file).is_file() else ", already deleted"
        report.retired.append(f"{old.file} (was {old.name}) kept until "
                              f"{old.keep_until.isoformat()}{gone}")
    referenced = catalogue.served_files() | cached_files(library_dir)
    if library_dir.is_dir():
        for path in sorted(library_dir.iterdir()):
            if path.name in KNOWN_FILES or path.name in referenced:
                continue
            if path.name.startswith(TEMP_PREFIX) or path.name.startswith(f".{CATALOGUE_FILE}"):
                report.leftovers.append(path.name)
            else:
                report.orphans.append(path.name)
    return report
