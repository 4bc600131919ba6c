"""The `Store`: writes go to the one batching writer, reads run on the caller's thread."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from typing import Literal, TypeVar

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import SQLAlchemyError

from broadcastd.contract import Ack
from broadcastd.store import access, cluster_queries, queries, records
from broadcastd.store.access import ChangeView, TokenView
from broadcastd.store.cluster_queries import PresenceChange
from broadcastd.store.engine import make_engine, read_engine
from broadcastd.store.model import (
    AckEventView,
    AckOutcome,
    BroadcastRecord,
    BroadcastView,
    DeliveryView,
    PresenceView,
    RejectedView,
    RevisionView,
)
from broadcastd.store.outcomes import DeliveryOutcome
from broadcastd.store.queries import BroadcastOutcomes, DeliveryTimes
from broadcastd.store.writer import BatchWriter, WriteOp

T = TypeVar("T")

Clock = Callable[[], datetime]
WRITER_STALL_S = 30.0
"""A writer whose loop has not turned for this long counts as hung."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def open_store(url: str, *, now: Clock = utc_now) -> Store:
    """A store on the database at `url` (tables created); call `start()` before writing."""
    return Store(make_engine(url), now=now)


class StoreWriteFailed(RuntimeError):
    """A write someone waits for (`commit`) did not reach the database."""


class Store:
    """Broadcasts, deliveries, acks, presence and rejections of one daemon."""

    def __init__(self, engine: Engine, *, now: Clock = utc_now) -> None:
        self._engine = engine
        self._reader = read_engine(engine)
        self._now = now
        self._writer = BatchWriter(engine)
        self._seen = records.SeenMarks()

    @property
    def engine(self) -> Engine:
        return self._engine

    def start(self) -> None:
        self._writer.start()

    def stop(self, timeout: float = 10.0) -> None:
        """Commit everything queued, end the writer, close the pool's connections."""
        self._writer.stop(timeout)
        self._engine.dispose()

    # -- writes: queued, applied by the writer thread ------------------------------------

    def commit(self, op: WriteOp[T], timeout: float = 10.0) -> T:
        """Apply `op` through the writer and wait until it is committed: for a write a
        person waits on (an announcement must be kept before it is sent). Raises
        StoreWriteFailed when it was refused or not committed within `timeout`."""
        done = threading.Event()
        outcome: list[T] = []

        def committed(value: T) -> None:
            outcome.append(value)
            done.set()

        self._writer.submit(
            WriteOp(op.name, op.apply, on_commit=committed, on_failed=done.set)
        )
        if not done.wait(timeout) or not outcome:
            raise StoreWriteFailed(f"{op.name}: not written to the database")
        return outcome[0]

    def read(self, query: Callable[[Connection], T]) -> T:
        """Run `query` on a read-only connection (for a capability's own queries)."""
        with self._reader.connect() as conn:
            return query(conn)

    def record_broadcast(
        self, record: BroadcastRecord, clusters: Sequence[str], *, wait: bool = False
    ) -> None:
        """The occurrence (once) and a pending delivery per target cluster (once each).
        `wait`: committed before this returns (another daemon may store the first acks,
        and refuses an ack of a broadcast it cannot find), in a transaction of its own on
        the caller's thread: the writer's commit callbacks may need the caller's locks."""
        op = records.broadcast_op(record, tuple(clusters), self._now)
        if wait:
            with self._engine.begin() as conn:
                op.apply(conn)
        else:
            self._writer.submit(op)

    def record_send(
        self,
        broadcast_id: str,
        cluster: str,
        command: Literal["play", "stop"],
        outcome: Literal["published", "queued", "failed"],
        at: datetime,
    ) -> None:
        self._writer.submit(records.send_op(broadcast_id, cluster, command, outcome, at))

    def record_publish_confirmed(self, broadcast_id: str, cluster: str, at: datetime) -> None:
        self._writer.submit(records.publish_confirmed_op(broadcast_id, cluster, at))

    def record_ack(
        self,
        commune: str,
        cluster: str,
        ack: Ack,
        received_at: datetime,
        on_commit: Callable[[AckOutcome], None] | None = None,
        *,
        topic: str = "",
        on_failed: Callable[[], None] | None = None,
    ) -> None:
        """Store an ack once; `on_commit(outcome)` runs after it is durable.

        `on_failed` runs instead when the op raised (a bug or a bad value): the caller
        decides whether to ack the broker anyway. `topic` is kept when the ack is refused.
        """
        self._writer.submit(
            records.ack_op(
                commune,
                cluster,
                ack,
                received_at,
                self._now,
                topic=topic or f"{commune}/{cluster}/ack",
                on_commit=on_commit,
                on_failed=on_failed,
                seen=self._seen,
            )
        )

    def record_presence(
        self,
        commune: str,
        cluster: str,
        online: bool,
        firmware: str | None,
        volume: int | None,
        at: datetime,
        on_commit: Callable[[], None] | None = None,
        *,
        on_failed: Callable[[], None] | None = None,
    ) -> None:
        """A cluster's presence; `on_failed` runs instead of `on_commit` when the op raised."""
        self._writer.submit(
            records.presence_op(commune, cluster, online, firmware, volume, at, on_commit,
                                on_failed)
        )

    def count_rejected(
        self,
        reason: str,
        topic: str,
        sample: bytes,
        at: datetime,
        on_commit: Callable[[], None] | None = None,
        *,
        on_failed: Callable[[], None] | None = None,
    ) -> None:
        self._writer.submit(records.rejected_op(reason, topic, sample, at, on_commit, on_failed))

    def cancel_broadcast(
        self,
        broadcast_id: str,
        at: datetime,
        *,
        by: str = access.TIMETABLE,
        reason: str | None = None,
    ) -> None:
        """Mark it cancelled and log who (a token's name, or `timetable`) and why."""
        self._writer.submit(records.cancel_op(broadcast_id, at, by, reason))

    def record_token_used(self, name: str, at: datetime) -> None:
        self._writer.submit(records.token_used_op(name, at))

    def record_revision(
        self, base_id: str, revision: int, fingerprint: str | None, at: datetime
    ) -> None:
        """Which revision of an occurrence is current, and what it was sent with."""
        self._writer.submit(records.revision_op(base_id, revision, fingerprint, at))

    def supersede(
        self, old_id: str, base_id: str, revision: int, at: datetime, why: str
    ) -> None:
        """`old_id` was replaced by revision `revision` of `base_id` (not yet sent) because
        of a timetable edit (`why`, for the audit log)."""
        self._writer.submit(records.supersede_op(old_id, base_id, revision, at, why))

    def flush(self, timeout: float = 10.0) -> bool:
        """True once everything submitted before the call is committed."""
        return self._writer.flush(timeout)

    # -- liveness --------------------------------------------------------------------------

    @property
    def queue_length(self) -> int:
        return self._writer.queue_length

    @property
    def generation(self) -> int:
        """Grows with every committed batch of writes: an answer built from reads at one
        generation is still true while it has not moved (the `/status` cache)."""
        return self._writer.finished

    @property
    def writer_heartbeat(self) -> float:
        """`time.monotonic()` of the writer loop's last turn."""
        return self._writer.heartbeat

    def writer_alive(self) -> bool:
        return self._writer.alive() and time.monotonic() - self._writer.heartbeat < WRITER_STALL_S

    def check_writable(self) -> str | None:
        """None when a tiny write transaction commits, else why not (for `/healthz`)."""
        if not self.writer_alive():
            return "database writer thread is not running"
        # The writer's own commits first: a tiny probe can fit in the WAL on a full disk.
        health = self._writer.commit_health
        if health.failures:
            return (
                f"database not writable: the last {health.failures} commits of the writer "
                f"failed ({health.last_error}); {self.queue_length} writes wait in memory"
            )
        try:
            with self._engine.begin() as conn:
                records.probe(conn, self._now())
        except (SQLAlchemyError, OSError) as exc:
            return f"database not writable: {type(exc).__name__}: {exc}"
        return None

    # -- reads -----------------------------------------------------------------------------

    def broadcast(self, broadcast_id: str) -> BroadcastView | None:
        with self._reader.connect() as conn:
            return queries.broadcast(conn, broadcast_id)

    def list_broadcasts(
        self,
        *,
        commune: str | None = None,
        local_date: date | None = None,
        state: str | None = None,
        limit: int = 100,
    ) -> list[BroadcastView]:
        """Newest first; `state` keeps broadcasts where any cluster is in it ("pending": none)."""
        with self._reader.connect() as conn:
            return queries.list_broadcasts(
                conn, commune=commune, local_date=local_date, state=state, limit=limit
            )

    def revision(self, base_id: str) -> RevisionView | None:
        """The current revision of an occurrence (None: never sent, so revision 1)."""
        with self._reader.connect() as conn:
            return queries.revision(conn, base_id)

    def active_broadcasts(self, now: datetime) -> list[BroadcastView]:
        with self._reader.connect() as conn:
            return queries.active_broadcasts(conn, now)

    def delivery_states(self, broadcast_id: str) -> dict[str, DeliveryView]:
        """Deliveries of one broadcast by cluster: what a restart rebuilds its state from."""
        with self._reader.connect() as conn:
            return queries.delivery_states(conn, broadcast_id)

    def deliveries_of(self, broadcast_ids: Sequence[str]) -> dict[str, dict[str, DeliveryView]]:
        with self._reader.connect() as conn:
            return queries.deliveries_of(conn, broadcast_ids)

    def ack_events(self, broadcast_id: str) -> list[AckEventView]:
        with self._reader.connect() as conn:
            return queries.ack_events_of(conn, broadcast_id)

    def presences(self, commune: str | None = None) -> dict[tuple[str, str], PresenceView]:
        with self._reader.connect() as conn:
            return queries.presences(conn, commune)

    def token_by_digest(self, digest: str) -> TokenView | None:
        with self._reader.connect() as conn:
            return access.token_by_digest(conn, digest)

    def changes(self, target: str) -> list[ChangeView]:
        """The audit log of one broadcast (or `token/<name>`), oldest first."""
        with self._reader.connect() as conn:
            return access.changes_of(conn, target)

    def rejected_counts(self) -> list[RejectedView]:
        with self._reader.connect() as conn:
            return queries.rejected_counts(conn)

    def outcomes(
        self, views: Sequence[BroadcastView], now: datetime
    ) -> dict[str, dict[str, DeliveryOutcome | None]]:
        """Per broadcast, per target cluster, what it did (None while the broadcast is on)."""
        with self._reader.connect() as conn:
            return queries.outcomes_of(conn, views, now)

    def outcomes_between(
        self, since: datetime, until: datetime, now: datetime, commune: str | None = None
    ) -> list[BroadcastOutcomes]:
        """Broadcasts starting in [since, until), oldest first, with their outcomes."""
        with self._reader.connect() as conn:
            return queries.outcomes_between(conn, since, until, now, commune)

    def delivery_times_between(
        self, since: datetime, until: datetime, commune: str | None = None
    ) -> dict[tuple[str, str], DeliveryTimes]:
        """Per (broadcast, cluster) starting in [since, until): sends and first ack times."""
        with self._reader.connect() as conn:
            return queries.delivery_times_between(conn, since, until, commune)

    def cancelled_occurrences(self, base_ids: Sequence[str]) -> set[str]:
        """Which occurrences (planner ids) people cancelled, in their current revision."""
        with self._reader.connect() as conn:
            return queries.cancelled_occurrences(conn, base_ids)

    def last_deliveries(
        self, now: datetime, commune: str | None = None
    ) -> dict[tuple[str, str], tuple[BroadcastView, DeliveryView]]:
        """Per (commune, cluster), the latest broadcast started by `now` and its delivery."""
        with self._reader.connect() as conn:
            return queries.last_deliveries(conn, now, commune)

    def next_start_after(self, moment: datetime) -> datetime | None:
        """The first recorded broadcast start after `moment` (it becomes some cluster's
        last broadcast then, without a write)."""
        with self._reader.connect() as conn:
            return queries.next_start_after(conn, moment)

    def presence_history(
        self, commune: str, cluster: str, limit: int = 50
    ) -> list[PresenceChange]:
        """When the cluster came online and went offline, newest first."""
        with self._reader.connect() as conn:
            return cluster_queries.presence_history(conn, commune, cluster, limit)

    def cluster_deliveries(
        self, commune: str, cluster: str, limit: int = 30
    ) -> list[tuple[BroadcastView, DeliveryView]]:
        """The cluster's last broadcasts by start, newest first, with its deliveries."""
        with self._reader.connect() as conn:
            return cluster_queries.cluster_deliveries(conn, commune, cluster, limit)
