"""Several daemons, one province: each commune run by one live daemon at a time.

Why a lease row and not a PostgreSQL advisory lock per commune: an advisory lock
belongs to a database session, so it needs one connection held open per daemon for
ever, and it moves silently wherever that connection goes (a pool handing it to other
code, a proxy such as PgBouncer reusing it); when the connection drops, the daemon is
not told and goes on sending. A lease is a row: who owns the commune and until when
by the database's clock, readable by `/status` on any daemon and by a person with
psql, renewed over any connection, and checked against the daemon's own deadline
(`Fence`) so that a daemon that cannot renew stops sending before another takes over.

Each round (every third of the lease, and at the moment another daemon's lease runs
out) heartbeats, renews what this daemon holds, claims free communes up to its fair
share and lets go of idle ones beyond it (`share.plan_round`), all in one transaction.
The communes it holds are handed to `on_owned`; the daemon schedules only those. A
clean stop releases everything at once, so the others take over at their next round.
A daemon whose heartbeat has run out is dead: one survivor takes its row and drains
its MQTT session (`on_dead`), where the broker kept the acks routed to it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import datetime

import structlog
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import SQLAlchemyError

from broadcastd.coordination import leases
from broadcastd.coordination.fence import Fence
from broadcastd.coordination.share import Lease, plan_round

log = structlog.get_logger(__name__)

_MIN_WAIT_S = 0.2
_EXPIRY_SLACK_S = 0.05


@dataclass(frozen=True, slots=True)
class Identity:
    name: str
    client_id: str
    http_url: str


class Coordinator:
    def __init__(
        self,
        url: str,
        identity: Identity,
        *,
        lease_s: float,
        communes: Callable[[], Collection[str]],
        busy: Callable[[str], bool],
        on_owned: Callable[[frozenset[str]], None],
        on_dead: Callable[[leases.DaemonRow], None] = lambda row: None,
    ) -> None:
        self._identity = identity
        self._lease_s = lease_s
        self._margin_s = lease_s / 5
        self._poll_s = min(1.0, lease_s / 3)
        self._communes = communes
        self._busy = busy
        self._on_owned = on_owned
        self._on_dead = on_dead
        timeout = max(1, int(lease_s / 3))
        self._engine: Engine = create_engine(
            url, pool_size=1, max_overflow=1, pool_pre_ping=True,
            connect_args={"connect_timeout": timeout},
        )
        self._statement_timeout_ms = int(lease_s / 3 * 1000)
        self._fence = Fence(self._fenced)
        self._lock = threading.Lock()
        self._owned: frozenset[str] = frozenset()
        self._first = True
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="coordination", daemon=True)

    # -- lifecycle --------------------------------------------------------------------

    def start(self) -> None:
        """One round at once (so the daemon starts with its share), then in the background."""
        self._round_logged()
        self._fence.start()
        self._thread.start()

    def stop(self) -> None:
        """Let every commune go and leave the province: the others take over at once."""
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=10)
        self._fence.stop()
        self._set_owned(frozenset())
        try:
            with self._engine.begin() as conn:
                leases.release(conn, self._identity.name)
                leases.forget_daemon(conn, self._identity.name, only_if_dead=False)
            log.info("communes released for the other daemons")
        except SQLAlchemyError as exc:
            log.warning("communes not released (they expire with the lease)", error=str(exc))
        self._engine.dispose()

    def nudge(self) -> None:
        """Run a round now (the timetables changed)."""
        self._wake.set()

    @property
    def owned(self) -> frozenset[str]:
        with self._lock:
            return self._owned

    # -- rounds -----------------------------------------------------------------------

    def _run(self) -> None:
        """A round every third of the lease (or sooner, see `_next_wait`); between rounds,
        a cheap look every second for a free commune (a daemon that stopped cleanly, a
        claim lost to another daemon), which brings the next round forward."""
        next_round = time.monotonic() + self._lease_s / 3
        while not self._stop.is_set():
            left = next_round - time.monotonic()
            woken = self._wake.wait(max(0.0, min(left, self._poll_s)))
            self._wake.clear()
            if self._stop.is_set():
                return
            if woken or time.monotonic() >= next_round or self._any_free():
                next_round = time.monotonic() + self._round_logged()

    def _any_free(self) -> bool:
        communes = list(self._communes())
        try:
            with self._engine.connect() as conn:
                return leases.held_count(conn, communes) < len(communes)
        except SQLAlchemyError:
            return False

    def _round_logged(self) -> float:
        try:
            return self._round()
        except SQLAlchemyError as exc:
            log.warning("lease round failed; retrying", error=str(exc).splitlines()[0])
            return min(1.0, self._lease_s / 3)
        except Exception:
            log.exception("lease round failed; retrying")
            return min(1.0, self._lease_s / 3)

    def _round(self) -> float:
        me = self._identity
        began = time.monotonic()
        with self._engine.begin() as conn:
            conn.execute(text(f"SET LOCAL statement_timeout = {self._statement_timeout_ms}"))
            leases.heartbeat(conn, me.name, me.client_id, me.http_url, self._lease_s,
                             first=self._first)
            now = leases.db_now(conn)
            rows = leases.daemon_rows(conn)
            held = leases.leases(conn)
            live = sum(1 for row in rows if row.live)
            plan = plan_round(me.name, self._communes(), held, live, now, self._busy)
            leases.release(conn, me.name, plan.release)
            owned = leases.claim(conn, me.name, plan.keep | plan.take, self._lease_s)
        self._first = False
        deadline = began + self._lease_s - self._margin_s
        if time.monotonic() >= deadline:
            log.warning("lease round took longer than the lease allows; owning nothing")
            owned = set()
        else:
            self._fence.renewed(deadline)
        if plan.release:
            log.info("communes let go", communes=sorted(plan.release), share=plan.share)
        self._set_owned(frozenset(owned))
        for row in rows:
            if not row.live and row.name != me.name:
                self._take_dead(row)
        return self._next_wait(held, now, me.name)

    def _next_wait(self, held: dict[str, Lease], now: datetime, me: str) -> float:
        """A third of the lease, or sooner: just after another daemon's lease runs out."""
        wait = self._lease_s / 3
        for lease in held.values():
            if lease.daemon == me:
                continue
            left = (lease.expires_at - now).total_seconds()
            if left >= 0:
                wait = min(wait, left + _EXPIRY_SLACK_S)
        return max(wait, _MIN_WAIT_S)

    def _take_dead(self, row: leases.DaemonRow) -> None:
        try:
            with self._engine.begin() as conn:
                mine = leases.forget_daemon(conn, row.name, only_if_dead=True)
        except SQLAlchemyError as exc:
            log.warning("dead daemon not taken over", daemon=row.name, error=str(exc))
            return
        if mine:
            log.warning("daemon stopped renewing; its communes are free", daemon=row.name,
                        last_heartbeat=row.heartbeat_at.isoformat())
            threading.Thread(
                target=self._on_dead, args=(row,), name=f"drain {row.name}", daemon=True
            ).start()

    # -- ownership --------------------------------------------------------------------

    def _fenced(self) -> None:
        if self.owned:
            log.error(
                "leases not renewed in time; stopped sending for every commune until the "
                "database answers again",
                communes=len(self.owned),
            )
        self._set_owned(frozenset())

    def _set_owned(self, owned: frozenset[str]) -> None:
        with self._lock:
            before, self._owned = self._owned, owned
            if owned == before:
                return
            gained, lost = sorted(owned - before), sorted(before - owned)
            log.info("communes owned", gained=gained, lost=lost, owned=len(owned))
            self._on_owned(owned)
