"""Reads about one cluster, for its console page: when it came and went, and the
broadcasts it was sent, newest first (their outcomes come from `Store.outcomes`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, select

from broadcastd.store.model import BroadcastView, DeliveryView
from broadcastd.store.queries import _broadcast_from, _delivery_columns, _delivery_from
from broadcastd.store.schema import broadcasts, deliveries, presence_changes


@dataclass(frozen=True)
class PresenceChange:
    """The cluster came online (`online`) or went offline at `at` (UTC)."""

    online: bool
    at: datetime


def presence_history(
    conn: Connection, commune: str, cluster: str, limit: int
) -> list[PresenceChange]:
    """The cluster's last `limit` comings and goings, newest first."""
    c = presence_changes.c
    rows = conn.execute(
        select(c.online, c.at)
        .where(c.commune == commune, c.cluster == cluster)
        .order_by(c.at.desc(), c.id.desc())
        .limit(limit)
    )
    return [PresenceChange(bool(row.online), row.at) for row in rows]


def cluster_deliveries(
    conn: Connection, commune: str, cluster: str, limit: int
) -> list[tuple[BroadcastView, DeliveryView]]:
    """The last `limit` broadcasts sent (or to be sent) to the cluster, by start, newest
    first, each with the cluster's delivery: one indexed join (`ix_deliveries_cluster`)."""
    b, d = broadcasts.c, deliveries.c
    rows = conn.execute(
        select(broadcasts, *_delivery_columns())
        .join_from(broadcasts, deliveries, d.broadcast_id == b.id)
        .where(b.commune == commune, d.cluster == cluster)
        .order_by(b.start_utc.desc(), b.id.desc())
        .limit(limit)
    )
    return [
        (_broadcast_from(row._mapping), _delivery_from(row._mapping, prefix="d_"))
        for row in rows
    ]
