"""The single writer: every write goes through one thread that batches into transactions.

One writer means SQLite never sees two writers fighting over its lock, and batching
means one fsync covers hundreds of acks. Each op runs in its own savepoint, so a bad
op is logged and skipped without costing the rest of its batch; an `OperationalError`
(disk full, I/O) is the database's fault, not the op's, so the whole batch is retried.
Runs of like ops (acks, sends) are applied set-wise with `executemany`. Callbacks run only
after the commit: that is what lets an ack be acknowledged to the broker only once it
is on disk.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

import structlog
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

log = structlog.get_logger(__name__)

T = TypeVar("T")

MAX_BATCH = 500
LINGER_S = 0.02
IDLE_TURN_S = 0.5
RETRY_MAX_S = 5.0


@dataclass(frozen=True)
class WriteOp(Generic[T]):
    """One write: `apply` runs inside the batch's transaction, `on_commit` after the commit."""

    name: str
    apply: Callable[[Connection], T]
    on_commit: Callable[[T], None] | None = None
    on_failed: Callable[[], None] | None = None
    """Runs after the commit when `apply` raised and the op was skipped."""
    bulk: Callable[[Connection, list[Any]], list[T]] | None = None
    """Applies a run of ops sharing `bulk_key` at once, from their `payload`s, in order."""
    bulk_key: str | None = None
    payload: Any = None


@dataclass(frozen=True)
class CommitHealth:
    """What the writer's own commits say about the database (for `/healthz`)."""

    failures: int
    """Commits failed since the last one that succeeded (0: the last one went through)."""
    last_error: str | None


class WriterClosed(RuntimeError):
    """A write submitted after the writer was stopped."""


@dataclass
class _Pending:
    seq: int
    op: WriteOp[Any]


class BatchWriter:
    """Owns the thread, the queue and the commit bookkeeping that `flush` waits on."""

    def __init__(
        self, engine: Engine, *, max_batch: int = MAX_BATCH, linger_s: float = LINGER_S
    ) -> None:
        self._engine = engine
        self._max_batch = max_batch
        self._linger_s = linger_s
        self._queue: queue.Queue[_Pending | None] = queue.Queue()
        self._lock = threading.Lock()
        self._done = threading.Condition(self._lock)
        self._submitted = 0
        self._finished = 0
        self._closed = False
        self._heartbeat = time.monotonic()
        self._health = CommitHealth(0, None)
        self._thread = threading.Thread(target=self._run, name="store-writer", daemon=True)

    # -- control ---------------------------------------------------------------------

    def start(self) -> None:
        self._thread.start()

    def submit(self, op: WriteOp[Any]) -> None:
        with self._lock:
            if self._closed:
                raise WriterClosed(f"store writer stopped; write {op.name!r} refused")
            self._submitted += 1
            self._queue.put(_Pending(self._submitted, op))

    def flush(self, timeout: float) -> bool:
        """Wait until everything submitted so far is committed (or skipped) and its callbacks ran."""
        deadline = time.monotonic() + timeout
        with self._done:
            target = self._submitted
            while self._finished < target:
                remaining = deadline - time.monotonic()
                if remaining <= 0 or not self._thread.is_alive():
                    return False
                self._done.wait(min(remaining, IDLE_TURN_S))
        return True

    def stop(self, timeout: float) -> bool:
        """Refuse new writes, commit what is queued, end the thread. True when all committed."""
        deadline = time.monotonic() + timeout
        with self._lock:
            self._closed = True
        flushed = (
            self.flush(timeout) if self._thread.is_alive() else self._finished == self._submitted
        )
        self._queue.put(None)
        if self._thread.is_alive():
            self._thread.join(max(0.0, deadline - time.monotonic()))
        return flushed

    @property
    def queue_length(self) -> int:
        return self._queue.qsize()

    @property
    def heartbeat(self) -> float:
        return self._heartbeat

    @property
    def finished(self) -> int:
        """How many submitted writes are done (committed or skipped): grows with every batch."""
        return self._finished

    def alive(self) -> bool:
        return self._thread.is_alive()

    @property
    def commit_health(self) -> CommitHealth:
        return self._health

    # -- the thread --------------------------------------------------------------------

    def _run(self) -> None:
        with self._engine.connect() as conn:
            while True:
                self._heartbeat = time.monotonic()
                batch, stop = self._gather()
                if batch:
                    self._commit_batch(conn, batch)
                if stop:
                    return

    def _gather(self) -> tuple[list[_Pending], bool]:
        """Up to `max_batch` ops arriving within `linger_s` of the first; True at the end."""
        try:
            first = self._queue.get(timeout=IDLE_TURN_S)
        except queue.Empty:
            return [], False
        if first is None:
            return [], True
        batch = [first]
        deadline = time.monotonic() + self._linger_s
        while len(batch) < self._max_batch:
            try:
                item = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                break
            if item is None:
                return batch, True
            batch.append(item)
        return batch, False

    def _commit_batch(self, conn: Connection, batch: list[_Pending]) -> None:
        """Run and commit the batch, retrying the whole of it until the database takes it."""
        delay = 0.1
        while True:
            try:
                results = self._apply_all(conn, batch)
                self._health = CommitHealth(0, None)
                break
            except Exception as exc:
                self._health = CommitHealth(self._health.failures + 1, _describe(exc))
                log.exception("store.batch_commit_failed", ops=len(batch), retry_in_s=delay)
                if conn.in_transaction():
                    conn.rollback()
                self._heartbeat = time.monotonic()
                time.sleep(delay)
                delay = min(delay * 2, RETRY_MAX_S)
        for pending, (ok, result) in zip(batch, results, strict=True):
            try:
                if ok and pending.op.on_commit is not None:
                    pending.op.on_commit(result)
                elif not ok and pending.op.on_failed is not None:
                    pending.op.on_failed()
            except Exception:
                log.exception("store.callback_failed", op=pending.op.name)
        with self._done:
            self._finished = batch[-1].seq
            self._done.notify_all()

    def _apply_all(self, conn: Connection, batch: list[_Pending]) -> list[tuple[bool, Any]]:
        results: list[tuple[bool, Any]] = []
        with conn.begin():
            for run in _runs(batch):
                results.extend(self._apply_run(conn, run))
        return results

    def _apply_run(self, conn: Connection, run: list[WriteOp[Any]]) -> list[tuple[bool, Any]]:
        """A run of like ops in one go (one savepoint); on any error, op by op."""
        bulk = run[0].bulk
        if len(run) > 1 and bulk is not None:
            try:
                with conn.begin_nested():
                    outcomes = bulk(conn, [op.payload for op in run])
                return [(True, outcome) for outcome in outcomes]
            except OperationalError:
                raise  # the database, not the op: retry the whole batch
            except Exception:
                log.exception("store.bulk_failed_retrying_one_by_one", op=run[0].name, ops=len(run))
        return [self._apply_one(conn, op) for op in run]

    @staticmethod
    def _apply_one(conn: Connection, op: WriteOp[Any]) -> tuple[bool, Any]:
        try:
            with conn.begin_nested():
                return True, op.apply(conn)
        except OperationalError:
            raise
        except Exception:
            log.exception("store.op_failed", op=op.name)
            return False, None


def _describe(exc: BaseException) -> str:
    """The first cause, in one line: a failed write is often retold by a failed rollback
    ("no such savepoint") that hides the "database or disk is full" behind it."""
    root = exc
    while root.__context__ is not None and root.__context__ is not root:
        root = root.__context__
    reason = getattr(root, "orig", None) or root
    text = str(reason).splitlines()[0] if str(reason) else ""
    return f"{type(reason).__name__}: {text}"[:300]


def _runs(batch: list[_Pending]) -> list[list[WriteOp[Any]]]:
    """Consecutive ops with the same `bulk_key` grouped; order kept."""
    runs: list[list[WriteOp[Any]]] = []
    for pending in batch:
        op = pending.op
        if runs and op.bulk_key is not None and runs[-1][0].bulk_key == op.bulk_key:
            runs[-1].append(op)
        else:
            runs.append([op])
    return runs
