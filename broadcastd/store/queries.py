"""Reads for the HTTP API and for rebuilding the daemon's state after a restart.

Each function takes a connection from the read engine, so reads run in any thread and
never take SQLite's write lock (WAL lets them see the last commit while the writer works).
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple

from sqlalchemy import Connection, Row, and_, case, exists, func, select, type_coerce

from broadcastd.contract.topics import REVISION_MARK
from broadcastd.store.model import (
    AckEventView,
    BroadcastView,
    DeliveryView,
    PresenceView,
    RejectedView,
    RevisionView,
)
from broadcastd.store.outcomes import DeliveryOutcome, Plan, delivery_outcome, settled
from broadcastd.store.schema import (
    NO_ITEM,
    UtcDateTime,
    ack_events,
    broadcast_items,
    broadcast_revisions,
    broadcasts,
    cluster_presence,
    deliveries,
    rejected_messages,
)

PENDING = "pending"
"""The `state` filter value for deliveries without any ack yet."""


def broadcast(conn: Connection, broadcast_id: str) -> BroadcastView | None:
    row = conn.execute(select(broadcasts).where(broadcasts.c.id == broadcast_id)).first()
    return None if row is None else _broadcast(row)


def list_broadcasts(
    conn: Connection,
    *,
    commune: str | None = None,
    local_date: date | None = None,
    state: str | None = None,
    limit: int = 100,
) -> list[BroadcastView]:
    """Newest first. `state` keeps broadcasts where at least one cluster is in that state."""
    b, d = broadcasts.c, deliveries.c
    query = select(broadcasts)
    if commune is not None:
        query = query.where(b.commune == commune)
    if local_date is not None:
        query = query.where(b.local_date == local_date)
    if state is not None:
        in_state = d.last_state.is_(None) if state == PENDING else d.last_state == state
        query = query.where(exists().where(d.broadcast_id == b.id, in_state))
    query = query.order_by(b.start_utc.desc(), b.id).limit(limit)
    return [_broadcast(row) for row in conn.execute(query)]


def revision(conn: Connection, base_id: str) -> RevisionView | None:
    r = broadcast_revisions.c
    row = conn.execute(
        select(r.base_id, r.revision, r.fingerprint).where(r.base_id == base_id)
    ).first()
    return None if row is None else RevisionView(row.base_id, row.revision, row.fingerprint)


def active_broadcasts(conn: Connection, now: datetime) -> list[BroadcastView]:
    """Broadcasts not cancelled whose window has not ended: what a restart must pick up."""
    b = broadcasts.c
    query = (
        select(broadcasts)
        .where(b.end_utc > now, b.cancelled_at.is_(None))
        .order_by(b.start_utc, b.id)
    )
    return [_broadcast(row) for row in conn.execute(query)]


def delivery_states(conn: Connection, broadcast_id: str) -> dict[str, DeliveryView]:
    return deliveries_of(conn, [broadcast_id]).get(broadcast_id, {})


def deliveries_of(
    conn: Connection, broadcast_ids: Sequence[str]
) -> dict[str, dict[str, DeliveryView]]:
    """Per broadcast, its deliveries by cluster."""
    found: dict[str, dict[str, DeliveryView]] = defaultdict(dict)
    for chunk in _chunks(broadcast_ids, 500):
        rows = conn.execute(
            select(deliveries)
            .where(deliveries.c.broadcast_id.in_(chunk))
            .order_by(deliveries.c.cluster)
        )
        for row in rows:
            found[row.broadcast_id][row.cluster] = _delivery(row)
    return dict(found)


def ack_events_of(conn: Connection, broadcast_id: str) -> list[AckEventView]:
    """Every stored ack of one broadcast, in the order they were received."""
    a = ack_events.c
    rows = conn.execute(
        select(ack_events).where(a.broadcast_id == broadcast_id).order_by(a.received_at, a.id)
    )
    return [_event(row) for row in rows]


def _event(row: Any) -> AckEventView:
    return AckEventView(
        broadcast_id=row.broadcast_id,
        cluster=row.cluster,
        state=row.state,
        item=None if row.item == NO_ITEM else row.item,
        detail=row.detail,
        cluster_at=row.cluster_at,
        received_at=row.received_at,
        stored_at=row.stored_at,
    )


# -- outcomes -------------------------------------------------------------------------------


class _Ack(NamedTuple):
    """The part of a stored ack an outcome reads (see `outcomes.AckEvent`)."""

    state: str
    item: int | None
    detail: str
    cluster_at: datetime


@dataclass(frozen=True)
class BroadcastOutcomes:
    """One broadcast and, per target cluster, what it did (None: not over yet)."""

    broadcast: BroadcastView
    outcomes: dict[str, DeliveryOutcome | None]


def item_durations(
    conn: Connection, broadcast_ids: Sequence[str]
) -> dict[str, tuple[float, ...]]:
    """The recorded items' seconds of each broadcast that has them."""
    i = broadcast_items.c
    found: dict[str, tuple[float, ...]] = {}
    for chunk in _chunks(broadcast_ids, 500):
        for row in conn.execute(select(i.broadcast_id, i.durations_s).where(
            i.broadcast_id.in_(chunk)
        )):
            found[row.broadcast_id] = tuple(float(s) for s in json.loads(row.durations_s))
    return found


def outcomes_of(
    conn: Connection, views: Sequence[BroadcastView], now: datetime
) -> dict[str, dict[str, DeliveryOutcome | None]]:
    """Per broadcast, per target cluster, its outcome (None while the broadcast is on).

    The one place outcomes are read: the API, `broadcastd status`, the console and the
    monthly plan-vs-actual report all come through here (or `outcomes_between`)."""
    d = deliveries.c
    clusters: dict[str, list[str]] = defaultdict(list)
    for chunk in _chunks([v.broadcast_id for v in views], 500):
        for row in conn.execute(select(d.broadcast_id, d.cluster).where(
            d.broadcast_id.in_(chunk)
        )):
            clusters[row.broadcast_id].append(row.cluster)
    result: dict[str, dict[str, DeliveryOutcome | None]] = {
        v.broadcast_id: dict.fromkeys(sorted(clusters[v.broadcast_id])) for v in views
    }
    over = [v for v in views if settled(_plan(v, None), now)]
    if not over:
        return result
    ids = [v.broadcast_id for v in over]
    durations = item_durations(conn, ids)
    events: dict[tuple[str, str], list[_Ack]] = defaultdict(list)
    a = ack_events.c
    wanted = (a.broadcast_id, a.cluster, a.state, a.item, a.detail, a.cluster_at)
    for chunk in _chunks(ids, 200):
        for got in conn.execute(select(*wanted).where(a.broadcast_id.in_(chunk))):
            item = None if got.item == NO_ITEM else got.item
            events[(got.broadcast_id, got.cluster)].append(
                _Ack(got.state, item, got.detail, got.cluster_at)
            )
    for view in over:
        plan = _plan(view, durations.get(view.broadcast_id))
        result[view.broadcast_id] = {
            cluster: delivery_outcome(plan, events.get((view.broadcast_id, cluster), []), now)
            for cluster in sorted(clusters[view.broadcast_id])
        }
    return result


def outcomes_between(
    conn: Connection,
    since: datetime,
    until: datetime,
    now: datetime,
    commune: str | None = None,
) -> list[BroadcastOutcomes]:
    """Every broadcast starting in [since, until), oldest first, with its outcomes:
    what the monthly plan-vs-actual report reads."""
    b = broadcasts.c
    query = select(broadcasts).where(b.start_utc >= since, b.start_utc < until)
    if commune is not None:
        query = query.where(b.commune == commune)
    views = [_broadcast(row) for row in conn.execute(query.order_by(b.start_utc, b.id))]
    found = outcomes_of(conn, views, now)
    return [BroadcastOutcomes(v, found[v.broadcast_id]) for v in views]


@dataclass(frozen=True)
class DeliveryTimes:
    """When one delivery's cluster first said `received`, `playing` and `finished` (its own
    clock, as outcomes read it; None: never), and how many times it was sent."""

    sends: int
    received: datetime | None
    playing: datetime | None
    finished: datetime | None


def delivery_times_between(
    conn: Connection, since: datetime, until: datetime, commune: str | None = None
) -> dict[tuple[str, str], DeliveryTimes]:
    """Per (broadcast, cluster) of the broadcasts `outcomes_between` returns for the same
    range, its sends and first ack times: one SQL pass, for the plan-vs-actual report."""
    b, d, a = broadcasts.c, deliveries.c, ack_events.c

    def first(state: str) -> Any:
        # Typed as the column, so SQLite's text comes back an aware UTC datetime.
        earliest = func.min(case((a.state == state, a.cluster_at)))
        return type_coerce(earliest, UtcDateTime()).label(state)

    query = (
        select(d.broadcast_id, d.cluster, d.sends, first("received"), first("playing"),
               first("finished"))
        .join_from(deliveries, broadcasts, b.id == d.broadcast_id)
        .outerjoin(ack_events, and_(a.broadcast_id == d.broadcast_id, a.cluster == d.cluster))
        .where(b.start_utc >= since, b.start_utc < until)
        .group_by(d.broadcast_id, d.cluster, d.sends)
    )
    if commune is not None:
        query = query.where(b.commune == commune)
    return {
        (row.broadcast_id, row.cluster): DeliveryTimes(
            row.sends or 0, row.received, row.playing, row.finished
        )
        for row in conn.execute(query)
    }


def cancelled_occurrences(conn: Connection, base_ids: Sequence[str]) -> set[str]:
    """Which of these occurrences (planner ids) are cancelled in their current revision
    (an earlier revision replaced by an edit is cancelled too, but its occurrence is not)."""
    r, b = broadcast_revisions.c, broadcasts.c
    current = {base: base for base in base_ids}
    for chunk in _chunks(base_ids, 500):
        for row in conn.execute(select(r.base_id, r.revision).where(r.base_id.in_(chunk))):
            if row.revision > 1:
                current[row.base_id] = f"{row.base_id}{REVISION_MARK}{row.revision}"
    base_of = {bid: base for base, bid in current.items()}
    found: set[str] = set()
    for chunk in _chunks(list(base_of), 500):
        rows = conn.execute(select(b.id).where(b.id.in_(chunk), b.cancelled_at.is_not(None)))
        found.update(base_of[row.id] for row in rows)
    return found


def _plan(view: BroadcastView, durations: tuple[float, ...] | None) -> Plan:
    return Plan(view.start, view.end, durations, view.cancelled_at)


def presences(
    conn: Connection, commune: str | None = None
) -> dict[tuple[str, str], PresenceView]:
    """Last presence per (commune, cluster), of one commune or all."""
    query = select(cluster_presence)
    if commune is not None:
        query = query.where(cluster_presence.c.commune == commune)
    return {
        (row.commune, row.cluster): PresenceView(
            commune=row.commune,
            cluster=row.cluster,
            online=bool(row.online),
            firmware=row.firmware,
            volume=row.volume,
            changed_at=row.changed_at,
            last_seen_at=row.last_seen_at,
        )
        for row in conn.execute(query)
    }


def rejected_counts(conn: Connection) -> list[RejectedView]:
    r = rejected_messages.c
    return [
        RejectedView(
            reason=row.reason,
            count=row._mapping["count"],
            last_at=row.last_at,
            last_topic=row.last_topic,
            last_sample=row.last_sample,
        )
        for row in conn.execute(select(rejected_messages).order_by(r.reason))
    ]


LAST_BROADCAST_WINDOW = timedelta(days=8)


def last_deliveries(
    conn: Connection, now: datetime, commune: str | None = None
) -> dict[tuple[str, str], tuple[BroadcastView, DeliveryView]]:
    """Per (commune, cluster), the latest broadcast that has started by `now`, and its delivery.

    Only the last `LAST_BROADCAST_WINDOW` is looked at (a weekly slot is still found), so
    the cost stays that of a week of history however long the daemon has run.
    """
    b, d = broadcasts.c, deliveries.c
    rank = (
        func.row_number()
        .over(
            partition_by=(b.commune, d.cluster),
            # A revision (`...~2`) starts when the id it replaced did: the newer wins.
            order_by=(b.start_utc.desc(), b.created_at.desc(), b.id.desc()),
        )
        .label("rank")
    )
    inner = select(broadcasts, *_delivery_columns(), rank).join_from(
        broadcasts, deliveries, d.broadcast_id == b.id
    )
    inner = inner.where(b.start_utc <= now, b.start_utc > now - LAST_BROADCAST_WINDOW)
    if commune is not None:
        inner = inner.where(b.commune == commune)
    ranked = inner.subquery()
    rows = conn.execute(select(ranked).where(ranked.c.rank == 1))
    found: dict[tuple[str, str], tuple[BroadcastView, DeliveryView]] = {}
    for row in rows:
        mapping = row._mapping
        view = _broadcast_from(mapping)
        delivery = _delivery_from(mapping, prefix="d_")
        found[(view.commune, delivery.cluster)] = (view, delivery)
    return found


def next_start_after(conn: Connection, moment: datetime) -> datetime | None:
    b = broadcasts.c
    found: datetime | None = conn.execute(
        select(func.min(b.start_utc)).where(b.start_utc > moment)  # min keeps the UTC type
    ).scalar()
    return found


def _chunks(items: Sequence[str], size: int) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _delivery_columns() -> list[Any]:
    return [column.label(f"d_{column.name}") for column in deliveries.c]


def _broadcast(row: Row[Any]) -> BroadcastView:
    return _broadcast_from(row._mapping)


def _broadcast_from(m: Any) -> BroadcastView:
    return BroadcastView(
        broadcast_id=m["id"],
        commune=m["commune"],
        slot=m["slot"],
        date=m["local_date"],
        title=m["title"],
        start=m["start_utc"],
        end=m["end_utc"],
        priority=m["priority"],
        volume=m["volume"],
        send_at=m["send_at_utc"],
        created_at=m["created_at"],
        cancelled_at=m["cancelled_at"],
    )


def _delivery(row: Row[Any]) -> DeliveryView:
    return _delivery_from(row._mapping, prefix="")


def _delivery_from(m: Any, prefix: str) -> DeliveryView:
    return DeliveryView(
        broadcast_id=m[f"{prefix}broadcast_id"],
        cluster=m[f"{prefix}cluster"],
        sends=m[f"{prefix}sends"],
        first_sent_at=m[f"{prefix}first_sent_at"],
        last_sent_at=m[f"{prefix}last_sent_at"],
        last_send_outcome=m[f"{prefix}last_send_outcome"],
        published_at=m[f"{prefix}published_at"],
        last_state=m[f"{prefix}last_state"],
        last_state_at=m[f"{prefix}last_state_at"],
        last_item=m[f"{prefix}last_item"],
        last_detail=m[f"{prefix}last_detail"],
    )
