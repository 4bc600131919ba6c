"""The write ops: each builds a `WriteOp` whose `apply` runs on the writer's connection.

Idempotent inserts use the dialect's `ON CONFLICT DO NOTHING`, so a repeated broadcast,
delivery or ack is one row on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

from sqlalchemy import (
    Connection,
    Insert,
    Integer,
    Table,
    bindparam,
    func,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite

from broadcastd.contract import Ack
from broadcastd.store import access
from broadcastd.store.model import AckOutcome, BroadcastRecord, moves_forward
from broadcastd.store.schema import (
    NO_ITEM,
    UtcDateTime,
    ack_events,
    broadcast_items,
    broadcast_revisions,
    broadcasts,
    cluster_presence,
    deliveries,
    presence_changes,
    rejected_messages,
    store_probe,
)
from broadcastd.store.writer import WriteOp

Clock = Callable[[], datetime]
K = TypeVar("K")
SAMPLE_CHARS = 300
UNKNOWN_BROADCAST = "unknown_broadcast"


def insert_ignoring_conflicts(conn: Connection, table: Table) -> Insert:
    """`INSERT ... ON CONFLICT DO NOTHING` in the connection's own dialect."""
    name = conn.dialect.name
    if name == "sqlite":
        return sqlite.insert(table).on_conflict_do_nothing()
    if name == "postgresql":
        return postgresql.insert(table).on_conflict_do_nothing()
    raise NotImplementedError(f"no idempotent insert for dialect {name!r}")


def broadcast_op(record: BroadcastRecord, clusters: Sequence[str], now: Clock) -> WriteOp[None]:
    """The broadcast if absent, and a pending delivery for each target cluster if absent;
    its items' durations once known (what its outcomes are measured against)."""

    def apply(conn: Connection) -> None:
        conn.execute(
            insert_ignoring_conflicts(conn, broadcasts),
            {
                "id": record.broadcast_id,
                "commune": record.commune,
                "slot": record.slot,
                "local_date": record.date,
                "title": record.title,
                "start_utc": record.start,
                "end_utc": record.end,
                "priority": record.priority,
                "volume": record.volume,
                "send_at_utc": record.send_at,
                "created_at": now(),
            },
        )
        if record.item_durations is not None:
            conn.execute(
                insert_ignoring_conflicts(conn, broadcast_items),
                {
                    "broadcast_id": record.broadcast_id,
                    "count": len(record.item_durations),
                    "durations_s": json.dumps(list(record.item_durations)),
                },
            )
        if clusters:
            conn.execute(
                insert_ignoring_conflicts(conn, deliveries),
                [{"broadcast_id": record.broadcast_id, "cluster": c, "sends": 0} for c in clusters],
            )

    return WriteOp(f"record_broadcast {record.broadcast_id}", apply)


@dataclass(frozen=True)
class SendWrite:
    broadcast_id: str
    cluster: str
    command: Literal["play", "stop"]
    outcome: Literal["published", "queued", "failed"]
    at: datetime


_d = deliveries.c
_KEY = (_d.broadcast_id == bindparam("k_broadcast"), _d.cluster == bindparam("k_cluster"))
_SEND = (
    update(deliveries)
    .where(*_KEY)
    .values(
        sends=_d.sends + bindparam("k_plays", type_=Integer),
        first_sent_at=func.coalesce(_d.first_sent_at, bindparam("k_at", type_=UtcDateTime)),
        last_sent_at=bindparam("k_at", type_=UtcDateTime),
        last_send_outcome=bindparam("k_outcome"),
    )
)
_CONFIRM = (
    update(deliveries)
    .where(*_KEY)
    .values(last_send_outcome="published", published_at=bindparam("k_at", type_=UtcDateTime))
)
_ACK_UPDATE = (
    update(deliveries)
    .where(*_KEY)
    .values(
        last_state=bindparam("k_state"),
        last_state_at=bindparam("k_at", type_=UtcDateTime),
        last_item=bindparam("k_item", type_=Integer),
        last_detail=bindparam("k_detail"),
    )
)


def apply_sends(conn: Connection, writes: list[SendWrite]) -> list[None]:
    """One executemany for a run of sends; a `stop` is recorded but not counted as a send."""
    conn.execute(
        _SEND,
        [
            {
                "k_broadcast": w.broadcast_id,
                "k_cluster": w.cluster,
                "k_plays": 1 if w.command == "play" else 0,
                "k_at": w.at,
                "k_outcome": w.outcome,
            }
            for w in writes
        ],
    )
    return [None] * len(writes)


def apply_confirms(conn: Connection, writes: list[SendWrite]) -> list[None]:
    conn.execute(
        _CONFIRM,
        [{"k_broadcast": w.broadcast_id, "k_cluster": w.cluster, "k_at": w.at} for w in writes],
    )
    return [None] * len(writes)


def send_op(
    broadcast_id: str,
    cluster: str,
    command: Literal["play", "stop"],
    outcome: Literal["published", "queued", "failed"],
    at: datetime,
) -> WriteOp[None]:
    """One push to one cluster: counted when it is a `play`, with its outcome."""
    write = SendWrite(broadcast_id, cluster, command, outcome, at)
    return WriteOp(
        f"record_send {broadcast_id} {cluster}",
        lambda conn: apply_sends(conn, [write])[0],
        bulk=apply_sends,
        bulk_key="send",
        payload=write,
    )


def publish_confirmed_op(broadcast_id: str, cluster: str, at: datetime) -> WriteOp[None]:
    """The broker took the push (PUBACK): the cluster's own ack is still to come."""
    write = SendWrite(broadcast_id, cluster, "play", "published", at)
    return WriteOp(
        f"record_publish_confirmed {broadcast_id} {cluster}",
        lambda conn: apply_confirms(conn, [write])[0],
        bulk=apply_confirms,
        bulk_key="confirm",
        payload=write,
    )


@dataclass(frozen=True)
class AckWrite:
    commune: str
    cluster: str
    ack: Ack
    received_at: datetime
    topic: str

    @property
    def delivery(self) -> tuple[str, str]:
        return (self.ack.broadcast_id, self.cluster)

    @property
    def event_key(self) -> EventKey:
        """Server rule 2 (revision 1.1): (broadcast, cluster, state, item, detail)."""
        item = NO_ITEM if self.ack.item is None else self.ack.item
        return (self.ack.broadcast_id, self.cluster, self.ack.state, item, self.ack.detail)


EventKey = tuple[str, str, str, int, str]


@dataclass
class _DeliveryState:
    commune: str
    state: str | None
    item: int | None
    at: datetime | None
    changed: AckWrite | None = None


def apply_acks(
    conn: Connection, writes: list[AckWrite], now: Clock, seen: SeenMarks | None = None
) -> list[AckOutcome]:
    """Store a run of acks: one read of their deliveries and known events, one insert,
    one update of the deliveries that moved forward, and one of the clusters' last seen."""
    keys = list({w.delivery for w in writes})
    current = _delivery_states(conn, keys)
    known = _known_events(conn, list({w.event_key for w in writes}))
    outcomes: list[AckOutcome] = []
    new_events: list[dict[str, Any]] = []
    unknown: list[AckWrite] = []
    stored_at = now()
    for w in writes:
        delivery = current.get(w.delivery)
        if delivery is None or delivery.commune != w.commune:
            unknown.append(w)
            outcomes.append(AckOutcome.UNKNOWN_BROADCAST)
            continue
        if w.event_key in known:
            outcomes.append(AckOutcome.DUPLICATE)
            continue
        known.add(w.event_key)
        new_events.append(_event_row(w, stored_at))
        outcomes.append(AckOutcome.STORED)
        if moves_forward(
            delivery.state, delivery.item, w.ack.state, w.ack.item, delivery.at, w.ack.at
        ):
            delivery.state, delivery.item, delivery.at = w.ack.state, w.ack.item, w.ack.at
            delivery.changed = w
    if new_events:
        conn.execute(insert_ignoring_conflicts(conn, ack_events), new_events)
    changed = [d.changed for d in current.values() if d.changed is not None]
    if changed:
        conn.execute(_ACK_UPDATE, [_state_params(w) for w in changed])
    _mark_seen(conn, [w for w in writes if w not in unknown], seen or SeenMarks())
    if unknown:
        last = unknown[-1]
        _count_rejected(
            conn,
            UNKNOWN_BROADCAST,
            last.topic,
            last.ack.to_payload(),
            last.received_at,
            count=len(unknown),
        )
    return outcomes


def _delivery_states(
    conn: Connection, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], _DeliveryState]:
    """The deliveries these acks belong to, one primary-key seek each (see `_seek`).

    On PostgreSQL the rows are locked, in key order, until the batch commits: several
    daemons store acks of one cluster at once (a shared subscription hands its
    `received`, `ready` and `playing` to different daemons), and each must see the
    others' last state before deciding whether its ack moves the delivery forward."""
    query = (
        "SELECT d.broadcast_id, d.cluster, d.last_state, d.last_item, d.last_state_at, "
        "b.commune FROM wanted JOIN deliveries AS d ON d.broadcast_id = wanted.k0 "
        "AND d.cluster = wanted.k1 JOIN broadcasts AS b ON b.id = d.broadcast_id"
    )
    if conn.dialect.name == "postgresql":
        keys = sorted(keys)
        query += " ORDER BY d.broadcast_id, d.cluster FOR UPDATE OF d"
    rows = _seek(conn, keys, query)
    return {
        (bid, cluster): _DeliveryState(commune, state, item, _utc(at))
        for bid, cluster, state, item, at, commune in rows
    }


def _known_events(conn: Connection, keys: list[EventKey]) -> set[EventKey]:
    """Which of these event keys are stored already (one seek on the unique key each)."""
    rows = _seek(
        conn,
        keys,
        "SELECT e.broadcast_id, e.cluster, e.state, e.item, e.detail FROM wanted "
        "JOIN ack_events AS e ON e.broadcast_id = wanted.k0 AND e.cluster = wanted.k1 "
        "AND e.state = wanted.k2 AND e.item = wanted.k3 AND e.detail = wanted.k4",
        chunk=160,
    )
    return {(r[0], r[1], r[2], r[3], r[4]) for r in rows}


def _seek(
    conn: Connection, keys: Sequence[tuple[Any, ...]], query: str, *, chunk: int = 400
) -> list[Any]:
    """Rows of `query`, which joins `wanted (k0, k1, ...)`: the keys as a VALUES list.

    Joined from a VALUES list on a whole key, each key is one index seek and the cost
    follows the batch, not how many rows each key's table holds (a row-value `IN`
    makes SQLite scan the whole index). Chunked under SQLite's bound-parameter limit.
    The statement goes to the driver as it is (positional parameters, one text per
    chunk size): built as a SQLAlchemy `text()` with hundreds of named parameters it
    was compiled again for every batch, half of the writer's time under an ack load.
    """
    found: list[Any] = []
    if not keys:
        return found
    width = len(keys[0])
    mark = "?" if conn.dialect.paramstyle == "qmark" else "%s"
    for part in _chunks(list(keys), chunk):
        statement = _seek_statement(query, width, len(part), mark)
        found.extend(conn.exec_driver_sql(statement, tuple(v for key in part for v in key)))
    return found


@functools.lru_cache(maxsize=64)
def _seek_statement(query: str, width: int, count: int, mark: str) -> str:
    columns = ", ".join(f"k{i}" for i in range(width))
    row = "(" + ", ".join([mark] * width) + ")"
    return f"WITH wanted ({columns}) AS (VALUES {', '.join([row] * count)}) {query}"


def _utc(moment: datetime | None) -> datetime | None:
    """A raw SQL read of a time column: SQLite gives naive UTC text, PostgreSQL aware."""
    if moment is None:
        return None
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


SEEN_RESOLUTION = timedelta(seconds=5)
"""`last_seen` from acks moves in steps of this much: a cluster acking every item of a
busy morning costs a presence write every few seconds, not one per ack."""


class SeenMarks:
    """The `last_seen` each cluster's acks last wrote, in this process (one writer thread):
    lets a run of acks skip clusters written less than `SEEN_RESOLUTION` ago without
    touching the database. Only a hint: a batch rolled back and retried may leave a
    cluster's `last_seen` one step behind until its next ack."""

    def __init__(self) -> None:
        self._at: dict[tuple[str, str], datetime] = {}

    def due(self, key: tuple[str, str], at: datetime) -> bool:
        last = self._at.get(key)
        return last is None or at - last >= SEEN_RESOLUTION

    def mark(self, key: tuple[str, str], at: datetime) -> None:
        self._at[key] = at


_p = cluster_presence.c
_SEEN = (
    update(cluster_presence)
    .where(
        _p.commune == bindparam("k_commune"),
        _p.cluster == bindparam("k_cluster"),
        _p.last_seen_at < bindparam("k_at", type_=UtcDateTime),
    )
    .values(last_seen_at=bindparam("k_at", type_=UtcDateTime))
)


def _mark_seen(conn: Connection, writes: list[AckWrite], seen: SeenMarks) -> None:
    """An ack is a sign of life: each cluster's last seen moves to its latest ack of the
    batch, in the ack's own transaction (one row per cluster, not one write per ack).

    A cluster that never published a presence gets a row that still says offline (the
    contract shows it offline until it does), with when it was last heard from."""
    latest: dict[tuple[str, str], datetime] = {}
    if not writes:
        return
    for w in writes:
        key = (w.commune, w.cluster)
        if key not in latest or w.received_at > latest[key]:
            latest[key] = w.received_at
    due = {key: at for key, at in latest.items() if seen.due(key, at)}
    if not due:
        return
    rows = [
        {"k_commune": commune, "k_cluster": cluster, "k_at": at}
        for (commune, cluster), at in due.items()
    ]
    known = _presence_keys(conn, list(due))
    missing = [r for r in rows if (r["k_commune"], r["k_cluster"]) not in known]
    if missing:
        conn.execute(
            insert_ignoring_conflicts(conn, cluster_presence),
            [
                {
                    "commune": r["k_commune"],
                    "cluster": r["k_cluster"],
                    "online": False,
                    "changed_at": r["k_at"],
                    "last_seen_at": r["k_at"],
                }
                for r in missing
            ],
        )
    if len(missing) < len(rows):
        conn.execute(_SEEN, [r for r in rows if r not in missing])
    for key, at in due.items():
        seen.mark(key, at)


def _presence_keys(conn: Connection, keys: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Which (commune, cluster) have a presence row (one primary-key seek each)."""
    rows = _seek(
        conn,
        keys,
        "SELECT p.commune, p.cluster FROM wanted JOIN cluster_presence AS p "
        "ON p.commune = wanted.k0 AND p.cluster = wanted.k1",
    )
    return {(r[0], r[1]) for r in rows}


def _chunks(keys: list[K], size: int = 400) -> list[list[K]]:
    return [keys[i : i + size] for i in range(0, len(keys), size)]


def _event_row(w: AckWrite, stored_at: datetime) -> dict[str, Any]:
    return {
        "broadcast_id": w.ack.broadcast_id,
        "commune": w.commune,
        "cluster": w.cluster,
        "state": w.ack.state,
        "item": w.event_key[3],
        "detail": w.ack.detail,
        "cluster_at": w.ack.at,
        "received_at": w.received_at,
        "stored_at": stored_at,
    }


def _state_params(w: AckWrite) -> dict[str, Any]:
    return {
        "k_broadcast": w.ack.broadcast_id,
        "k_cluster": w.cluster,
        "k_state": w.ack.state,
        "k_at": w.ack.at,
        "k_item": w.ack.item,
        "k_detail": w.ack.detail,
    }


def ack_op(
    commune: str,
    cluster: str,
    ack: Ack,
    received_at: datetime,
    now: Clock,
    *,
    topic: str,
    on_commit: Callable[[AckOutcome], None] | None,
    on_failed: Callable[[], None] | None,
    seen: SeenMarks | None = None,
) -> WriteOp[AckOutcome]:
    """Store one ack once, and move its delivery forward (never back)."""
    write = AckWrite(commune, cluster, ack, received_at, topic)
    return WriteOp(
        f"record_ack {ack.broadcast_id} {cluster} {ack.state}",
        lambda conn: apply_acks(conn, [write], now, seen)[0],
        on_commit,
        on_failed,
        bulk=lambda conn, writes: apply_acks(conn, writes, now, seen),
        bulk_key="ack",
        payload=write,
    )


def presence_op(
    commune: str,
    cluster: str,
    online: bool,
    firmware: str | None,
    volume: int | None,
    at: datetime,
    on_commit: Callable[[], None] | None,
    on_failed: Callable[[], None] | None = None,
) -> WriteOp[None]:
    """A cluster's presence; a Last Will (no firmware, no volume) keeps the last known ones.
    A first presence, or a flip of `online`, is also kept in `presence_changes`."""

    def apply(conn: Connection) -> None:
        p = cluster_presence.c
        key = (p.commune == commune, p.cluster == cluster)
        if conn.dialect.name == "postgresql":
            # Several daemons record the same presence: the row is made once, and then
            # locked, so that one flip is one row of presence_changes whoever sees it.
            made = conn.execute(
                postgresql.insert(cluster_presence)
                .values(commune=commune, cluster=cluster, online=online, firmware=firmware,
                        volume=volume, changed_at=at, last_seen_at=at)
                .on_conflict_do_nothing()
                .returning(p.commune)
            ).first()
            if made is not None:
                conn.execute(
                    presence_changes.insert(),
                    {"commune": commune, "cluster": cluster, "online": online, "at": at},
                )
                return
            row = conn.execute(select(p.online).where(*key).with_for_update()).first()
        else:
            row = conn.execute(select(p.online).where(*key)).first()
        if row is None or row.online != online:
            conn.execute(
                presence_changes.insert(),
                {"commune": commune, "cluster": cluster, "online": online, "at": at},
            )
        if row is None:
            conn.execute(
                cluster_presence.insert(),
                {
                    "commune": commune,
                    "cluster": cluster,
                    "online": online,
                    "firmware": firmware,
                    "volume": volume,
                    "changed_at": at,
                    "last_seen_at": at,
                },
            )
            return
        values: dict[str, Any] = {"online": online, "last_seen_at": at}
        if row.online != online:
            values["changed_at"] = at
        if firmware is not None:
            values["firmware"] = firmware
        if volume is not None:
            values["volume"] = volume
        conn.execute(update(cluster_presence).where(*key).values(**values))

    return WriteOp(f"record_presence {commune} {cluster}", apply, _no_arg(on_commit), on_failed)


def rejected_op(
    reason: str,
    topic: str,
    sample: bytes,
    at: datetime,
    on_commit: Callable[[], None] | None,
    on_failed: Callable[[], None] | None = None,
) -> WriteOp[None]:
    """Count a refused message under its reason, keeping the last one for people to read."""

    def apply(conn: Connection) -> None:
        _count_rejected(conn, reason, topic, sample, at)

    return WriteOp(f"count_rejected {reason}", apply, _no_arg(on_commit), on_failed)


def cancel_op(broadcast_id: str, at: datetime, by: str, reason: str | None) -> WriteOp[None]:
    """Mark a broadcast cancelled, with who and why in the audit log, in one transaction;
    the first cancellation stands (a repeat changes nothing and is not logged)."""

    def apply(conn: Connection) -> None:
        b = broadcasts.c
        cancelled = conn.execute(
            update(broadcasts)
            .where(b.id == broadcast_id, b.cancelled_at.is_(None))
            .values(cancelled_at=at)
        ).rowcount
        if cancelled:
            access.record_change(conn, at, by, access.CANCEL, broadcast_id, reason)

    return WriteOp(f"cancel_broadcast {broadcast_id}", apply)


def token_used_op(name: str, at: datetime) -> WriteOp[None]:
    return WriteOp(f"token_used {name}", lambda conn: access.mark_used(conn, name, at))


def revision_op(
    base_id: str, revision: int, fingerprint: str | None, at: datetime
) -> WriteOp[None]:
    """Set the current revision of an occurrence and its fingerprint."""

    def apply(conn: Connection) -> None:
        _set_revision(conn, base_id, revision, fingerprint, at)

    return WriteOp(f"record_revision {base_id} {revision}", apply)


def supersede_op(
    old_id: str, base_id: str, revision: int, at: datetime, why: str
) -> WriteOp[None]:
    """The old revision is over (stopped at the clusters), `revision` is current: one
    op, so a crash never leaves a cancelled broadcast that looks cancelled by people.
    The audit log says the timetable withdrew it, and why."""

    def apply(conn: Connection) -> None:
        b = broadcasts.c
        withdrawn = conn.execute(
            update(broadcasts)
            .where(b.id == old_id, b.cancelled_at.is_(None))
            .values(cancelled_at=at)
        ).rowcount
        if withdrawn:
            access.record_change(conn, at, access.TIMETABLE, access.WITHDRAW, old_id, why)
        _set_revision(conn, base_id, revision, None, at)

    return WriteOp(f"supersede {old_id} -> {revision}", apply)


def _set_revision(
    conn: Connection, base_id: str, revision: int, fingerprint: str | None, at: datetime
) -> None:
    r = broadcast_revisions.c
    values = {"revision": revision, "fingerprint": fingerprint, "changed_at": at}
    updated = conn.execute(
        update(broadcast_revisions).where(r.base_id == base_id).values(**values)
    )
    if not updated.rowcount:
        conn.execute(broadcast_revisions.insert(), {"base_id": base_id, **values})


def probe(conn: Connection, at: datetime) -> None:
    """Rewrite the one probe row: proof that the database accepts a write."""
    updated = conn.execute(update(store_probe).where(store_probe.c.id == 1).values(at=at))
    if not updated.rowcount:
        conn.execute(insert_ignoring_conflicts(conn, store_probe), {"id": 1, "at": at})


def _count_rejected(
    conn: Connection, reason: str, topic: str, sample: bytes, at: datetime, *, count: int = 1
) -> None:
    r = rejected_messages.c
    text = sample[: SAMPLE_CHARS * 4].decode("utf-8", errors="replace")[:SAMPLE_CHARS]
    values = {"last_at": at, "last_topic": _storable(topic[:SAMPLE_CHARS]),
              "last_sample": _storable(text)}
    updated = conn.execute(
        update(rejected_messages).where(r.reason == reason).values(count=r.count + count, **values)
    )
    if not updated.rowcount:
        conn.execute(rejected_messages.insert(), {"reason": reason, "count": count, **values})


def _storable(text: str) -> str:
    """`text` with NUL shown as U+FFFD, like any other unreadable byte: PostgreSQL's text
    refuses NUL, and a refused message is counted whatever it carried."""
    return text.replace("\x00", "\ufffd")


def _no_arg(callback: Callable[[], None] | None) -> Callable[[None], None] | None:
    if callback is None:
        return None
    return lambda _result: callback()
