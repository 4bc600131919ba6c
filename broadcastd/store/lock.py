"""One daemon per database: an exclusive lock on a file beside the SQLite file.

Two daemons on one database (and so, in practice, one broker client id) would each
take the other's MQTT session away, over and over, and both write the same rows. The
lock is held for the life of the process; the kernel drops it when the process ends,
even on kill -9, so a stale lock file never blocks a restart.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from sqlalchemy.engine import make_url


class DatabaseLockError(RuntimeError):
    """The database cannot be locked for this daemon; the message says why and what to do."""


def sqlite_file(url: str) -> Path | None:
    """The SQLite file a URL names; None for another database or an in-memory one."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


class DatabaseLock:
    def __init__(self, database: Path) -> None:
        self.database = database
        self.path = database.with_name(database.name + ".lock")
        self._fd: int | None = None

    def acquire(self) -> None:
        """Take the lock or raise `DatabaseLockError` naming the holder or the fault."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o640)
        except OSError as exc:
            raise DatabaseLockError(
                f"{self.database}: cannot write beside the database ({exc.strerror}: "
                f"{self.path}). Fix: point database.url at a writable folder the daemon's "
                f"user owns (in production /var/lib/broadcastd)"
            ) from exc
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            holder = _read_pid(fd)
            os.close(fd)
            who = f"process {holder}" if holder else "another process"
            raise DatabaseLockError(
                f"{self.database}: already in use by another broadcastd ({who}). Fix: stop "
                f"it first (`systemctl stop broadcastd`), or give this one its own "
                f"database.url and broker.client_id"
            ) from exc
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._fd = fd

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            with contextlib.suppress(OSError):
                fcntl.flock(fd, fcntl.LOCK_UN)
            os.close(fd)


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
