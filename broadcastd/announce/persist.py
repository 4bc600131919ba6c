"""Announcements kept in the database, so that a restart rejoins them.

A table of its own (`announcements`), written once per announcement in one short
transaction together with its audit entry (who, why): an announcement is rare, and the
person who sent it must learn at once if it could not be kept. Read back at start.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import (
    Column,
    Date,
    Engine,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
)

from broadcastd.planning.occurrences import Occurrence
from broadcastd.store.access import record_change
from broadcastd.store.engine import read_engine
from broadcastd.store.schema import UtcDateTime
from broadcastd.timetable.model import Item

ANNOUNCE = "announce"
STOP = "stop"

metadata = MetaData()

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


def create_tables(engine: Engine) -> None:
    metadata.create_all(engine)


def save(engine: Engine, occ: Occurrence, *, by: str, reason: str | None, at: datetime) -> None:
    """The announcement and its audit entry, committed before anything is sent."""
    zone = occ.start.tzinfo
    with engine.begin() as conn:
        conn.execute(
            insert(announcements),
            {
                "id": occ.base_id,
                "commune": occ.commune,
                "slot": occ.slot,
                "local_date": occ.local_date,
                "timezone": str(zone),
                "title": occ.title,
                "start_utc": occ.start,
                "end_utc": occ.end,
                "priority": occ.priority,
                "volume": occ.volume,
                "clusters": json.dumps(list(occ.clusters)),
                "playlist": json.dumps(
                    [item.model_dump(mode="json", exclude_none=True) for item in occ.playlist]
                ),
                "created_at": at,
                "created_by": by,
                "reason": reason,
            },
        )
        record_change(conn, at, by, ANNOUNCE, occ.base_id, reason)


def record_stop(
    engine: Engine, broadcast_id: str, clusters: list[str], *, by: str, reason: str | None,
    at: datetime,
) -> None:
    """A stop on some clusters, in the audit log of the broadcast."""
    why = f"clusters {', '.join(clusters)}" + (f": {reason}" if reason else "")
    with engine.begin() as conn:
        record_change(conn, at, by, STOP, broadcast_id, why)


def load(engine: Engine, since: datetime) -> list[Occurrence]:
    """Announcements that end after `since`, as occurrences in their commune's zone."""
    a = announcements.c
    with read_engine(engine).connect() as conn:
        rows = conn.execute(select(announcements).where(a.end_utc > since)).all()
    found = []
    for row in rows:
        zone = ZoneInfo(row.timezone)
        found.append(
            Occurrence(
                commune=row.commune,
                slot=row.slot,
                title=row.title,
                local_date=row.local_date,
                start=row.start_utc.astimezone(zone),
                end=row.end_utc.astimezone(zone),
                priority=row.priority,
                volume=row.volume,
                clusters=tuple(json.loads(row.clusters)),
                playlist=tuple(Item.model_validate(i) for i in json.loads(row.playlist)),
            )
        )
    return found


def exists(engine: Engine, base_id: str) -> bool:
    with read_engine(engine).connect() as conn:
        row = conn.execute(select(announcements.c.id).where(announcements.c.id == base_id))
        return row.first() is not None


KEEP = timedelta(days=1)
"""How far back a start loads announcements (their ids stay taken in the table)."""
