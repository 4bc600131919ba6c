"""Tables of the broadcast record: broadcasts, deliveries, ack events, presence, rejections;
and of access: API tokens, users and their sessions, and the audit log of changes.

Times go through `UtcDateTime`, so SQLite (which drops offsets silently) and PostgreSQL
both hold UTC and every read gives back an aware UTC datetime.

A change here needs its migration (migrations/README.md); tests/store/test_migrations.py
fails until the migrated schema and this one agree.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

NO_ITEM = -1
"""`item` of an ack without one: a real value, so the unique key treats repeats as equal."""


class UtcDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out; naive ones are refused."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r}: store needs an aware one")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


metadata = MetaData()

broadcasts = Table(
    "broadcasts",
    metadata,
    Column("id", String(200), primary_key=True),
    Column("commune", String(63), nullable=False),
    Column("slot", String(63), nullable=False),
    Column("local_date", Date, nullable=False, comment="commune-local date of the occurrence"),
    Column("title", Text, nullable=False),
    Column("start_utc", UtcDateTime, nullable=False),
    Column("end_utc", UtcDateTime, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("volume", Integer, nullable=False),
    Column("send_at_utc", UtcDateTime, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("cancelled_at", UtcDateTime),
    Index("ix_broadcasts_commune_date", "commune", "local_date"),
    Index("ix_broadcasts_start", "start_utc"),
)

deliveries = Table(
    "deliveries",
    metadata,
    Column("broadcast_id", String(200), ForeignKey("broadcasts.id"), primary_key=True),
    Column("cluster", String(63), primary_key=True),
    Column("sends", Integer, nullable=False, default=0),
    Column("first_sent_at", UtcDateTime),
    Column("last_sent_at", UtcDateTime),
    Column("last_send_outcome", String(16)),
    Column("published_at", UtcDateTime),
    Column("last_state", String(16), comment="NULL while no ack came: pending"),
    Column("last_state_at", UtcDateTime),
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
    Column("item", Integer, nullable=False, default=NO_ITEM),
    Column("detail", Text, nullable=False, default=""),
    Column("cluster_at", UtcDateTime, nullable=False, comment="the cluster's own clock"),
    Column("received_at", UtcDateTime, nullable=False),
    Column("stored_at", UtcDateTime, nullable=False),
    # Contract 1.1, server rule 2: `detail` is part of the key (`playing` item 1 with
    # `resumed` is a new event). Databases made with the older key are upgraded at start
    # by `upgrade.py`.
    UniqueConstraint(
        "broadcast_id", "cluster", "state", "item", "detail", name="uq_ack_events_key"
    ),
)

ACK_KEY = ("broadcast_id", "cluster", "state", "item", "detail")
"""The columns of `uq_ack_events_key`: what makes two acks the same event."""

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
    Column("changed_at", UtcDateTime, nullable=False),
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
    Column("changed_at", UtcDateTime, nullable=False, comment="when `online` last flipped"),
    Column(
        "last_seen_at",
        UtcDateTime,
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
    Column("at", UtcDateTime, nullable=False, comment="when the presence message arrived"),
    Index("ix_presence_changes_cluster", "commune", "cluster", "at"),
    comment="each time a cluster came online or went offline (its first presence too): "
    "the cluster page's online history; `cluster_presence` keeps only the last",
)

rejected_messages = Table(
    "rejected_messages",
    metadata,
    Column("reason", String(63), primary_key=True),
    Column("count", Integer, nullable=False),
    Column("last_at", UtcDateTime, nullable=False),
    Column("last_topic", Text, nullable=False),
    Column("last_sample", Text, nullable=False),
)

store_probe = Table(
    "store_probe",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("at", UtcDateTime, nullable=False),
    comment="one row rewritten by the health check to prove the database takes writes",
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("name", String(63), primary_key=True),
    Column("role", String(16), nullable=False),
    Column("digest", String(64), nullable=False, unique=True, comment="sha256 of the token"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_used_at", UtcDateTime),
    comment="HTTP API tokens; the token itself is shown once and never stored",
)

changes = Table(
    "changes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UtcDateTime, nullable=False),
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
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_sign_in_at", UtcDateTime),
    comment="people who sign in to the console; the same roles as the API tokens",
)

sessions = Table(
    "sessions",
    metadata,
    Column("digest", String(64), primary_key=True, comment="sha256 of the session id"),
    Column("user_name", String(63), nullable=False),
    Column("csrf", String(64), nullable=False, comment="the token every form POST must carry"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("last_seen_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False, comment="absolute end, whatever the use"),
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
    Column("start_utc", UtcDateTime, nullable=False),
    Column("end_utc", UtcDateTime, nullable=False),
    Column("priority", Integer, nullable=False),
    Column("volume", Integer, nullable=False),
    Column("clusters", Text, nullable=False, comment="JSON list of cluster ids"),
    Column("playlist", Text, nullable=False, comment="JSON list of playlist items"),
    Column("created_at", UtcDateTime, nullable=False),
    Column("created_by", String(63), nullable=False),
    Column("reason", Text),
    comment="announcements sent through the API, replanned at every start",
)


# -- coordination of several daemons (coordination.mode: leases, PostgreSQL only) ---------

daemons = Table(
    "daemons",
    metadata,
    Column("name", String(63), primary_key=True, comment="coordination.name"),
    Column("client_id", String(200), nullable=False, comment="its MQTT client id"),
    Column("http_url", Text, nullable=False, comment="http.public_base_url"),
    Column("started_at", UtcDateTime, nullable=False),
    Column("heartbeat_at", UtcDateTime, nullable=False, comment="the database's now()"),
    Column("lease_s", Float, nullable=False, comment="its coordination.lease_s"),
    comment="daemons sharing this database; live while heartbeat_at is within the lease",
)

commune_leases = Table(
    "commune_leases",
    metadata,
    Column("commune", String(63), primary_key=True),
    Column("daemon", String(63), nullable=False, comment="daemons.name of the owner"),
    Column("acquired_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False, comment="the database's now() + lease"),
    comment="which daemon runs each commune; free once expires_at has passed",
)
