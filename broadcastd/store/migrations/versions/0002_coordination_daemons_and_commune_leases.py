"""coordination: daemons and commune leases (several daemons, one province)

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29

Two new tables, empty until daemons run with `coordination.mode: leases` (PostgreSQL);
on SQLite they exist and stay empty. Nothing else changes.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC_DATETIME = sa.DateTime(timezone=True)  # what schema.py's UtcDateTime stores


def upgrade() -> None:
    op.create_table(
        "commune_leases",
        sa.Column("commune", sa.String(length=63), nullable=False),
        sa.Column("daemon", sa.String(length=63), nullable=False,
                  comment="daemons.name of the owner"),
        sa.Column("acquired_at", UTC_DATETIME, nullable=False),
        sa.Column("expires_at", UTC_DATETIME, nullable=False,
                  comment="the database's now() + lease"),
        sa.PrimaryKeyConstraint("commune"),
        comment="which daemon runs each commune; free once expires_at has passed",
    )
    op.create_table(
        "daemons",
        sa.Column("name", sa.String(length=63), nullable=False, comment="coordination.name"),
        sa.Column("client_id", sa.String(length=200), nullable=False,
                  comment="its MQTT client id"),
        sa.Column("http_url", sa.Text(), nullable=False, comment="http.public_base_url"),
        sa.Column("started_at", UTC_DATETIME, nullable=False),
        sa.Column("heartbeat_at", UTC_DATETIME, nullable=False,
                  comment="the database's now()"),
        sa.Column("lease_s", sa.Float(), nullable=False, comment="its coordination.lease_s"),
        sa.PrimaryKeyConstraint("name"),
        comment="daemons sharing this database; live while heartbeat_at is within the lease",
    )


def downgrade() -> None:
    op.drop_table("daemons")
    op.drop_table("commune_leases")
