"""The schema as released at commit 711ca29, the last release before migrations.

Revision ID: 0001
Revises:
Create Date: 2026-11-29

A database made before migrations is not created by this revision: it is stamped at
0001 once `broadcastd.store.migrate` has given it whatever it lacked (the wider ack key
of contract 1.1, tables added by later releases).
"""

from __future__ import annotations

from alembic import op

from broadcastd.store.migrations.baseline import metadata

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    metadata.create_all(op.get_bind(), checkfirst=False)


def downgrade() -> None:
    metadata.drop_all(op.get_bind(), checkfirst=False)
