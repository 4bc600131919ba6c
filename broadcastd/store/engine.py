"""Engine factory: one place that knows SQLite's quirks, so PostgreSQL is a URL change.

SQLite gets WAL (readers never block the writer), synchronous=FULL (a commit survives
power loss; cheap because the writer batches), a busy timeout, and `BEGIN IMMEDIATE`
for writes so two writers never deadlock on a lock upgrade. pysqlite's own transaction
handling is switched off so that SQLAlchemy's BEGIN and SAVEPOINTs are the real ones.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import Connection, Engine, create_engine, event

from broadcastd.store.migrate import Migration, upgrade_to_head

log = structlog.get_logger(__name__)

BUSY_TIMEOUT_MS = 5000
READ_ONLY = "broadcastd_read_only"
"""Execution option: a connection that only reads starts with a deferred BEGIN."""


def make_engine(url: str, report: Callable[[Migration], None] | None = None) -> Engine:
    """An engine for `url` whose database is at the code's schema: created by the
    migrations when empty, upgraded when older; `report` hears what was done (default:
    the log). Raises `migrate.SchemaTooNew` when a newer broadcastd has upgraded it
    (it is left as it is)."""
    engine = store_engine(url)
    try:
        migration = upgrade_to_head(engine)
    except BaseException:
        engine.dispose()
        raise
    (report or log_migration)(migration)
    return engine


def log_migration(migration: Migration) -> None:
    """The daemon's journal line: from which revision to which, or that none was due."""
    if migration.changed:
        log.info(
            "database schema upgraded",
            from_revision=migration.before or ("before migrations" if migration.legacy
                                               else "empty"),
            to_revision=migration.after,
            fixes=list(migration.fixes),
        )
    else:
        log.info("database schema current", revision=migration.after)


def store_engine(url: str) -> Engine:
    """An engine for `url` with SQLite tuned, its schema left as it is (`db current`)."""
    engine = create_engine(url)
    if engine.dialect.name == "sqlite":
        database = engine.url.database
        if database and database != ":memory:":  # a fresh install has no var/ yet
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        _tune_sqlite(engine)
    return engine


def read_engine(engine: Engine) -> Engine:
    """The same pool, but transactions that never take SQLite's write lock."""
    return engine.execution_options(**{READ_ONLY: True})


def _tune_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=FULL")
            cursor.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        read_only = conn.get_execution_options().get(READ_ONLY, False)
        conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")
