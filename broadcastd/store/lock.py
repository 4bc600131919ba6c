"""One daemon per database: an exclusive lock on a file beside the SQLite file, or a
PostgreSQL advisory lock.

Two daemons on one database (and so, in practice, one broker client id) would each
take the other's MQTT session away, over and over, and both write the same rows. The
lock is held for the life of the process; the kernel drops it when the process ends,
even on kill -9, so a stale lock file never blocks a restart. On PostgreSQL the lock is
a session advisory lock on a connection of its own (keyed by the schema the tables are
in), which the server drops when that connection ends, the same guarantee without a
file. Several daemons sharing one PostgreSQL (issue 11) will replace it with leases.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

from sqlalchemy import Connection, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import NullPool


class DatabaseLockError(RuntimeError):
    """The database cannot be locked for this daemon; the message says why and what to do.
    `transient`: a server that could not be reached, which a restart may find back."""

    def __init__(self, message: str, *, transient: bool = False) -> None:
        super().__init__(message)
        self.transient = transient


def sqlite_file(url: str) -> Path | None:
    """The SQLite file a URL names; None for another database or an in-memory one."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def is_postgresql(url: str) -> bool:
    return make_url(url).get_backend_name() == "postgresql"


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


APPLICATION = "broadcastd"
"""`application_name` of the lock's connection, with the pid: how the refusal names the holder."""


LOCK_KEY = "hashtext('broadcastd:' || coalesce(current_schema(), ''))"
"""One key per schema: two daemons may share a server, never a set of tables."""


class PostgresLock:
    """`pg_try_advisory_lock` held on a connection of its own for the daemon's life."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._conn: Connection | None = None

    def acquire(self) -> None:
        """Take the lock or raise `DatabaseLockError` naming the holder or the fault."""
        shown = make_url(self.url).render_as_string(hide_password=True)
        engine = create_engine(
            self.url,
            poolclass=NullPool,
            connect_args={"application_name": f"{APPLICATION} process {os.getpid()}"},
        )
        try:
            conn = engine.connect()
            conn.execution_options(isolation_level="AUTOCOMMIT")
            taken = conn.execute(text(
                f"SELECT pg_try_advisory_lock({LOCK_KEY})"
            )).scalar()
        except SQLAlchemyError as exc:
            raise DatabaseLockError(
                f"{shown}: cannot be reached to lock it ({_first_line(exc)}). Fix: "
                "check that the database server runs and database.url names it",
                transient=True,
            ) from exc
        if not taken:
            holder = _advisory_holder(conn)
            conn.close()
            raise DatabaseLockError(
                f"{shown}: already in use by another broadcastd ({holder}). Fix: stop it "
                "first, or give this one its own database (or schema) and broker.client_id"
            )
        self._conn = conn

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(SQLAlchemyError):
                conn.close()  # ending the session drops the lock


def _advisory_holder(conn: Connection) -> str:
    """Who holds broadcastd's advisory lock here, as `application_name` on `client_addr`."""
    with contextlib.suppress(SQLAlchemyError):
        row = conn.execute(text(
            "SELECT a.application_name, a.client_addr FROM pg_locks l "
            "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
            f"AND l.granted AND l.objid = {LOCK_KEY}::oid "
            "LIMIT 1"
        )).first()
        if row is not None:
            return f"{row.application_name or 'a client'} on {row.client_addr or 'this host'}"
    return "another client"


def _first_line(exc: SQLAlchemyError) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def _read_pid(fd: int) -> int | None:
    try:
        text = os.pread(fd, 32, 0).decode("ascii", errors="replace").strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None
