"""File chores of the library: hashing, the import lock, temporary files."""

from __future__ import annotations

import fcntl
import hashlib
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

LOCK_FILE = ".lock"
TEMP_PREFIX = ".import-"
_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in chunks (files may be long programmes)."""
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


_held = threading.local()


@contextmanager
def library_lock(library_dir: Path) -> Iterator[None]:
    """Serialise changes to one library, so two `audio add` runs cannot race.

    Re-entrant within a thread: checking the timetables before a replace speaks their
    `text:` items into the same library while the import holds the lock."""
    library_dir.mkdir(parents=True, exist_ok=True)
    key = str(library_dir.resolve())
    held: set[str] = _held.__dict__.setdefault("libraries", set())
    if key in held:
        yield
        return
    with open(library_dir / LOCK_FILE, "a+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        held.add(key)
        try:
            yield
        finally:
            held.discard(key)
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def new_temp_path(library_dir: Path, suffix: str) -> Path:
    """A fresh temporary file inside the library, so renaming it in is atomic."""
    fd, name = tempfile.mkstemp(dir=library_dir, prefix=TEMP_PREFIX, suffix=suffix)
    try:
        os.fchmod(fd, 0o644)  # served by the daemon, which may run as another user
    finally:
        os.close(fd)
    return Path(name)
