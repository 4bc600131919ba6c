"""Fixes for a database made before migrations, by a broadcastd older than 711ca29.

Such a database has no `alembic_version`; before it is stamped at revision 0001,
`broadcastd.store.migrate` applies here what 0001 has and it lacks. Each fix is detected
by inspecting the database, so applying them again does nothing. Changes made after
0001 are Alembic revisions (migrations/versions/), never new functions here.
"""

from __future__ import annotations

import structlog
from sqlalchemy import Connection, Engine, MetaData, inspect, text
from sqlalchemy.schema import CreateIndex, CreateTable

from broadcastd.store.migrations.baseline import ack_events, broadcasts

log = structlog.get_logger(__name__)

ACK_KEY_NAME = "uq_ack_events_key"
ACK_KEY = ("broadcast_id", "cluster", "state", "item", "detail")
"""The key of revision 0001 (contract 1.1): the fix rebuilds `ack_events` as 0001 has it."""


def upgrade(engine: Engine) -> list[str]:
    """Apply every fix the database lacks, in a transaction of its own."""
    with engine.begin() as conn:
        return apply_fixes(conn)


def apply_fixes(conn: Connection) -> list[str]:
    """Apply every fix the database lacks on `conn`; returns what was done, for the log."""
    done: list[str] = []
    if _ack_key_outdated(conn):
        _widen_ack_key(conn)
        done.append("ack_events: `detail` added to the idempotency key")
    for change in done:
        log.warning("store.upgraded", change=change)
    return done


def _ack_key_outdated(conn: Connection) -> bool:
    """Whether `ack_events` has a unique key on the acks' fields that lacks `detail`."""
    if not inspect(conn).has_table(ack_events.name):
        return False
    keys = [tuple(uc["column_names"]) for uc in inspect(conn).get_unique_constraints(
        ack_events.name
    )]
    old = [key for key in keys if set(key) < set(ACK_KEY) and "state" in key]
    return bool(old) and ACK_KEY not in keys


def _widen_ack_key(conn: Connection) -> None:
    """Revision 1.1, server rule 2. PostgreSQL changes the constraint in place; SQLite
    cannot drop a constraint, so the table is rebuilt in this one transaction (create
    new, copy, drop, rename, recreate indexes): no row is lost, or nothing changes."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ALTER TABLE ack_events DROP CONSTRAINT {ACK_KEY_NAME}"))
        conn.execute(text(
            f"ALTER TABLE ack_events ADD CONSTRAINT {ACK_KEY_NAME} UNIQUE ({', '.join(ACK_KEY)})"
        ))
        return
    scratch = MetaData()
    broadcasts.to_metadata(scratch)
    fresh = ack_events.to_metadata(scratch, name="ack_events_new")
    columns = ", ".join(c.name for c in ack_events.columns)
    conn.execute(CreateTable(fresh))
    conn.execute(text(
        f"INSERT INTO ack_events_new ({columns}) SELECT {columns} FROM ack_events"
    ))
    conn.execute(text("DROP TABLE ack_events"))
    conn.execute(text("ALTER TABLE ack_events_new RENAME TO ack_events"))
    for index in ack_events.indexes:
        conn.execute(CreateIndex(index))
