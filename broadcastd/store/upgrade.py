"""Bring a database made by an older broadcastd up to the current schema, at start.

`metadata.create_all` adds missing tables but never changes an existing one; the few
changes to existing tables are made here, each detected by inspecting the database, so
running it again does nothing. It runs before the writer starts. (A migration tool,
Alembic, comes with issue 11; until then each change is one small function here.)
"""

from __future__ import annotations

import structlog
from sqlalchemy import Connection, Engine, MetaData, inspect, text
from sqlalchemy.schema import CreateIndex, CreateTable

from broadcastd.store.schema import ACK_KEY, ack_events, broadcasts

log = structlog.get_logger(__name__)

ACK_KEY_NAME = "uq_ack_events_key"


def upgrade(engine: Engine) -> list[str]:
    """Apply every change the database lacks; returns what was done, for the log."""
    done: list[str] = []
    with engine.begin() as conn:
        if _ack_key_outdated(conn):
            _widen_ack_key(conn)
            done.append("ack_events: `detail` added to the idempotency key")
    for change in done:
        log.warning("store.upgraded", change=change, url=engine.url.render_as_string())
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
