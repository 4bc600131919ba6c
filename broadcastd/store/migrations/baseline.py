"""The schema as broadcastd released it at commit 711ca29 (before migrations), frozen.

Revision 0001 creates these tables on an empty database; a database made before
migrations is given any of them it lacks before it is stamped at 0001. Never edit this
file: a change of schema is a new revision in versions/ (see README.md here). Times are
plain `DateTime(timezone=True)`: what schema.py's `UtcDateTime` stores.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

UTC_DATETIME = DateTime(timezone=True)

metadata = MetaData()

broadcasts = Table(
    "broadcasts",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("commune", String(63), nullable=False),
    Column("slot", String(63), nullable=False),
    Column("local_date", Date, nullable=False, comment="commune-local date of the occurrence"),
    Column("title", Text, nullable=False),
    Column("start_utc", UTC_DATETIME, nullable=False),
    Column("end_utc", UTC_DATETIME, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("volume", Integer, nullable=False),
    Column("send_at_utc", UTC_DATETIME, nullable=False),
    Column("created_at", UTC_DATETIME, nullable=False),
    Column("cancelled_at", UTC_DATETIME),
    Index("ix_broadcasts_commune_date", "commune", "local_date"),
    Index("ix_broadcasts_start", "start_utc"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("broadcast_id", String(200), ForeignKey("broadcasts.id"), primary_key=True),
    Column("cluster", String(63), primary_key=True),
    Column("sends", Integer, nullable=False, default=0),
    Column("first_sent_at", UTC_DATETIME),
    Column("last_sent_at", UTC_DATETIME),
    Column("last_send_outcome", String(16)),
    Column("published_at", UTC_DATETIME),
    Column("last_state", String(16), comment="NULL while no ack came: pending"),
    Column("last_state_at", UTC_DATETIME),
    Column("last_item", Integer),
    Column("last_detail", Text),
    Index("ix_deliveries_cluster", "cluster"),
    Index("ix_deliveries_state", "last_state"),
)

ack_events = Table(
    "ack_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("broadcast_id", String(200), ForeignKey("broadcasts.id"), nullable=False),
    Column("commune", String(63), nullable=False),
    Column("cluster", String(63), nullable=False),
    Column("state", String(16), nullable=False),
    Column("item", Integer, nullable=False, default=-1),
    Column("detail", Text, nullable=False, default=""),
    Column("cluster_at", UTC_DATETIME, nullable=False, comment="the cluster's own clock"),
    Column("received_at", UTC_DATETIME, nullable=False),
    Column("stored_at", UTC_DATETIME, nullable=False),
    # Contract 1.1: `detail` in the key (older databases: upgrade.py widens it).
    UniqueConstraint(
        "broadcast_id", "cluster", "state", "item", "detail", name="uq_ack_events_key"
    ),
)

broadcast_items = Table(
    "broadcast_items",
    metadata,
    Column("broadcast_id", String(200), ForeignKey("broadcasts.id"), primary_key=True),
    Column("count", Integer, nullable=False, comment="how many items the `play` carried"),
    Column(
        "durations_s",
        Text,
        nullable=False,
        comment="JSON list of each item's seconds, in order: what an outcome is measured by",
    ),
    comment="the playlist as sent, one row per broadcast (absent for broadcasts recorded "
    "before it existed, or cancelled before they were sent)",
)

broadcast_revisions = Table(
    "broadcast_revisions",
    metadata,
    Column("base_id", String(200), primary_key=True, comment="`<commune>/<slot>/<date>`"),
    Column("revision", Integer, nullable=False, comment="1, then 2 for the id `...~2`, ..."),
    Column(
        "fingerprint",
        String(64),
        comment="what the clusters were sent (times, volume, priority, playlist); "
        "NULL until the revision is sent",
    ),
    Column("changed_at", UTC_DATETIME, nullable=False),
    comment="which revision of an occurrence is current: what a restart re-opens",
)

cluster_presence = Table(
    "cluster_presence",
    metadata,
    Column("commune", String(63), primary_key=True),
    Column("cluster", String(63), primary_key=True),
    Column("online", Boolean, nullable=False),
    Column("firmware", String(200)),
    Column("volume", Integer),
    Column("changed_at", UTC_DATETIME, nullable=False, comment="when `online` last flipped"),
    Column(
        "last_seen_at",
        UTC_DATETIME,
        nullable=False,
        comment="the last message the cluster sent: a presence or an ack",
    ),
)

presence_changes = Table(
    "presence_changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("commune", String(63), nullable=False),
    Column("cluster", String(63), nullable=False),
    Column("online", Boolean, nullable=False),
    Column("at", UTC_DATETIME, nullable=False, comment="when the presence message arrived"),
    Index("ix_presence_changes_cluster", "commune", "cluster", "at"),
    comment="each time a cluster came online or went offline (its first presence too): "
    "the cluster page's online history; `cluster_presence` keeps only the last",
)

rejected_messages = Table(
    "rejected_messages",
    metadata,
    Column("reason", String(63), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("last_at", UTC_DATETIME, nullable=False),
    Column("last_topic", Text, nullable=False),
    Column("last_sample", Text, nullable=False),
)

store_probe = Table(
    "store_probe",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("at", UTC_DATETIME, nullable=False),
    comment="one row rewritten by the health check to prove the database takes writes",
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("name", String(63), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("digest", String(64), nullable=False, unique=True, comment="sha256 of the token"),
    Column("created_at", UTC_DATETIME, nullable=False),
    Column("last_used_at", UTC_DATETIME),
    comment="HTTP API tokens; the token itself is shown once and never stored",
)

changes = Table(
    "changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTC_DATETIME, nullable=False),
    Column("actor", String(63), nullable=False, comment="token name, `timetable`, `cli:<user>`"),
    Column("action", String(32), nullable=False, comment="`cancel`, `token create`, ..."),
    Column("target", String(200), nullable=False, comment="a broadcast id, `token/<name>`"),
    Column("reason", Text),
    Index("ix_changes_target", "target"),
    comment="the audit log: who changed what, when and why",
)


users = Table(
    "users",
    metadata,
    Column("name", String(63), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("password_hash", String(200), nullable=False, comment="argon2id, never the password"),
    Column("created_at", UTC_DATETIME, nullable=False),
    Column("last_sign_in_at", UTC_DATETIME),
    comment="people who sign in to the console; the same roles as the API tokens",
)

sessions = Table(
    "sessions",
    metadata,
    Column("digest", String(64), primary_key=True, comment="sha256 of the session id"),
    Column("user_name", String(63), nullable=False),
    Column("csrf", String(64), nullable=False, comment="the token every form POST must carry"),
    Column("created_at", UTC_DATETIME, nullable=False),
    Column("last_seen_at", UTC_DATETIME, nullable=False),
    Column("expires_at", UTC_DATETIME, nullable=False, comment="absolute end, whatever the use"),
    Index("ix_sessions_user", "user_name"),
    comment="console sign-ins; the session id itself is only in the browser's cookie",
)


announcements = Table(
    "announcements",
    metadata,
    Column("id", String(200), primary_key=True, comment="the broadcast id (revision 1)"),
    Column("commune", String(63), nullable=False),
    Column("slot", String(63), nullable=False),
    Column("local_date", Date, nullable=False),
    Column("timezone", String(64), nullable=False),
    Column("title", Text, nullable=False),
    Column("start_utc", UTC_DATETIME, nullable=False),
    Column("end_utc", UTC_DATETIME, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("volume", Integer, nullable=False),
    Column("clusters", Text, nullable=False, comment="JSON list of cluster ids"),
    Column("playlist", Text, nullable=False, comment="JSON list of playlist items"),
    Column("created_at", UTC_DATETIME, nullable=False),
    Column("created_by", String(63), nullable=False),
    Column("reason", Text),
    comment="announcements sent through the API, replanned at every start",
)
