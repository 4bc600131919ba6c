"""Alembic's entry point, run by `broadcastd.store.migrate` on a connection it opened.

The connection arrives in `config.attributes["connection"]`, already inside the one
transaction the whole upgrade runs in (SQLite: `BEGIN IMMEDIATE` from the store's
engine; PostgreSQL: holding the migration's advisory lock), so Alembic starts no
transaction of its own. There is no offline (SQL script) mode and no URL here.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from broadcastd.store.schema import metadata

connection: Connection | None = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "broadcastd's migrations run from code: use `broadcastd db upgrade` "
        "(or python -m broadcastd.store.migrations.new to write one), not the alembic command"
    )

context.configure(
    connection=connection,
    target_metadata=metadata,
    # SQLite has no ALTER COLUMN / DROP CONSTRAINT: batch mode rebuilds the table.
    render_as_batch=True,
    compare_type=True,
)
with context.begin_transaction():
    context.run_migrations()
