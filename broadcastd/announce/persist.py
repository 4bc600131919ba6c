"""Announcements kept in the database, so that a restart rejoins them.

A table of the store's (`announcements`), written once per announcement through the
store's writer in one transaction with its audit entry (who, why), waited for: the
person who sent it must learn at once if it could not be kept. Read back at start.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, insert, select

from broadcastd.planning.occurrences import Occurrence
from broadcastd.store import Store
from broadcastd.store.access import record_change
from broadcastd.store.schema import announcements
from broadcastd.store.writer import WriteOp
from broadcastd.timetable.model import Item

ANNOUNCE = "announce"
STOP = "stop"


def save(store: Store, occ: Occurrence, *, by: str, reason: str | None, at: datetime) -> None:
    """The announcement and its audit entry, committed (through the store's writer)
    before anything is sent; StoreWriteFailed when it could not be kept."""
    zone = occ.start.tzinfo

    def apply(conn: Connection) -> None:
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

    store.commit(WriteOp(f"announce {occ.base_id}", apply))


def record_stop(
    store: Store, broadcast_id: str, clusters: list[str], *, by: str, reason: str | None,
    at: datetime,
) -> None:
    """A stop on some clusters, in the audit log of the broadcast."""
    why = f"clusters {', '.join(clusters)}" + (f": {reason}" if reason else "")
    store.commit(
        WriteOp(
            f"stop {broadcast_id}",
            lambda conn: record_change(conn, at, by, STOP, broadcast_id, why),
        )
    )


def load(store: Store, since: datetime) -> list[Occurrence]:
    """Announcements that end after `since`, as occurrences in their commune's zone."""
    a = announcements.c
    rows = store.read(
        lambda conn: conn.execute(select(announcements).where(a.end_utc > since)).all()
    )
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


def exists(store: Store, base_id: str) -> bool:
    query = select(announcements.c.id).where(announcements.c.id == base_id)
    return store.read(lambda conn: conn.execute(query).first() is not None)


KEEP = timedelta(days=1)
"""How far back a start loads announcements (their ids stay taken in the table)."""
