"""Turns the plan into APScheduler jobs: one per occurrence, at its send time.

APScheduler only fires triggers; it has no idea that a broadcast which began ten
minutes ago is still on. So every `replan` asks the pure planner what overlaps the
coming hours: what is already due (live, or inside its lead time) is opened at once,
what lies ahead gets a date job at its send time, in the commune's time zone. Jobs
are rebuilt from the timetables at each start and reload; nothing is pickled.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta

import structlog
from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from broadcastd.contract.topics import split_broadcast_id
from broadcastd.delivery.dispatcher import Dispatcher
from broadcastd.planning.occurrences import Occurrence, plan
from broadcastd.timetable.model import Timetable

log = structlog.get_logger(__name__)

_OPEN = "open:"
_TICK_S = 1.0
_CANCEL_HORIZON = timedelta(days=8)


class BroadcastScheduler:
    def __init__(
        self,
        dispatcher: Dispatcher,
        *,
        lead_time_s: float,
        replan_interval_s: float,
        clock: Callable[[], datetime],
        extra: Callable[[datetime, datetime], Sequence[Occurrence]] = lambda since, until: (),
    ) -> None:
        """`extra(since, until)`: occurrences beside the timetables' that overlap the
        window (announcements); planned, joined after a restart and kept across reloads
        like slots."""
        self._dispatcher = dispatcher
        self._lead = timedelta(seconds=lead_time_s)
        self._replan_interval = timedelta(seconds=replan_interval_s)
        self._clock = clock
        self._extra = extra
        self._lock = threading.RLock()
        self._timetables: tuple[Timetable, ...] = ()
        self._planned: dict[str, Occurrence] = {}
        self._last_tick = time.monotonic()
        # A job late by any amount still runs (the default grace of 1 s silently skips
        # it); `open` itself refuses what has ended. One instance, late runs coalesced.
        self._scheduler = BackgroundScheduler(
            timezone=UTC,
            job_defaults={"misfire_grace_time": None, "coalesce": True, "max_instances": 1},
        )

    # -- lifecycle ---------------------------------------------------------------------

    def start(self, timetables: Sequence[Timetable]) -> None:
        self._timetables = tuple(timetables)
        self._scheduler.start()
        self._scheduler.add_job(
            self._tick, IntervalTrigger(seconds=_TICK_S), id="tick", name="resends and ends"
        )
        self._scheduler.add_job(
            self.replan,
            IntervalTrigger(seconds=self._replan_interval.total_seconds()),
            id="replan",
            name="plan ahead",
        )
        self.replan()

    def stop(self) -> None:
        if self._scheduler.running:
            self._scheduler.shutdown(wait=True)

    def add_interval(self, job: Callable[[], None], seconds: float, name: str) -> None:
        """A housekeeping job on the scheduler's threads (e.g. watching files)."""
        self._scheduler.add_job(job, IntervalTrigger(seconds=seconds), id=name, name=name)

    @property
    def running(self) -> bool:
        return bool(self._scheduler.running)

    def last_tick(self) -> float:
        """time.monotonic() of the last tick: the watchdog's sign that jobs still run."""
        return self._last_tick

    def _tick(self) -> None:
        self._last_tick = time.monotonic()
        self._dispatcher.tick()

    # -- planning ----------------------------------------------------------------------

    def replace_timetables(self, timetables: Sequence[Timetable]) -> list[str]:
        """Apply new timetables. Occurrences not sent yet simply move with their job.
        One already sent gets what its edit means at the clusters (`Dispatcher.update`:
        clusters added or removed, or a revision under `<id>~N`); one removed from
        the timetable is stopped where it was sent. Returns what changed, for the log."""
        with self._lock:
            old = {
                bid: occ
                for bid, occ in self._planned.items()
                if not self._dispatcher.is_cancelled(bid)
            }
            self._timetables = tuple(timetables)
            now = self._clock()
            # Wide enough to find an edited occurrence moved later than the plan's window.
            latest = max((occ.end for occ in old.values()), default=now)
            until = max(latest + timedelta(days=1), now + self._lead + self._replan_interval)
            fresh = {occ.broadcast_id: occ for occ in self._between(now, until)}
            changes: list[str] = []
            for bid, occ in old.items():
                if occ.end <= now:
                    continue
                edited = fresh.get(bid)
                if edited is None:
                    self._remove_job(bid)
                    if self._dispatcher.withdraw(occ):
                        changes.append(f"{bid}: removed from the timetable; stopped")
                elif edited != occ:
                    change = self._dispatcher.update(edited)
                    if change is not None:
                        changes.append(change)
            self.replan()
            return changes

    def _between(self, since: datetime, until: datetime) -> list[Occurrence]:
        """The timetables' occurrences and the extra ones, by start time."""
        merged = plan(self._timetables, since, until) + list(self._extra(since, until))
        return sorted(merged, key=lambda occ: (occ.start, occ.commune, occ.slot))

    def _plan(self, now: datetime) -> list[Occurrence]:
        until = now + self._lead + 2 * self._replan_interval + timedelta(minutes=1)
        return self._between(now, until)

    def open_now(self, occurrence: Occurrence) -> bool:
        """Open an occurrence at once, whatever its start (an announcement: every
        target cluster holds it ahead, and it takes the speaker at its start)."""
        with self._lock:
            self._planned[occurrence.broadcast_id] = occurrence
        return self._dispatcher.open(occurrence, "announce")

    def replan(self) -> None:
        """Open what is due now; put a job at the send time of what lies ahead."""
        with self._lock:
            now = self._clock()
            planned = self._plan(now)
            self._planned = {occ.broadcast_id: occ for occ in planned}
            due = [occ for occ in planned if occ.send_at(self._lead.total_seconds()) <= now]
            ahead = [occ for occ in planned if occ not in due]
            for occ in ahead:
                self._scheduler.add_job(
                    self._dispatcher.open,
                    DateTrigger(run_date=occ.send_at(self._lead.total_seconds())),
                    args=[occ],
                    id=_OPEN + occ.broadcast_id,
                    name=f"send {occ.broadcast_id}",
                    replace_existing=True,
                )
            wanted = {_OPEN + occ.broadcast_id for occ in ahead}
            for job in self._scheduler.get_jobs():
                if job.id.startswith(_OPEN) and job.id not in wanted:
                    job.remove()
        for occ in due:
            self._dispatcher.open(occ, "join")
        log.debug("planned", due=len(due), ahead=len(ahead))

    def _remove_job(self, broadcast_id: str) -> None:
        try:
            self._scheduler.remove_job(_OPEN + broadcast_id)
        except JobLookupError:
            pass

    # -- queries and commands ------------------------------------------------------------

    @property
    def timetables(self) -> tuple[Timetable, ...]:
        return self._timetables

    def upcoming(self, hours: float) -> list[Occurrence]:
        now = self._clock()
        return self._between(now, now + timedelta(hours=hours))

    def next_send(self) -> datetime | None:
        """When the next `open` job fires, for the service status line."""
        times = [
            job.next_run_time
            for job in self._scheduler.get_jobs()
            if job.id.startswith(_OPEN) and job.next_run_time is not None
        ]
        return min(times) if times else None

    def cancel(self, broadcast_id: str, *, by: str, reason: str | None = None) -> bool:
        """Cancel one occurrence (live or ahead) by the id it is sent under (`~N` for a
        revision), for `by` (a token's name) with `reason`, for the audit log. False when
        unknown, already over, or not the current revision."""
        parts = split_broadcast_id(broadcast_id)
        if parts is None:
            return False
        base, _ = parts
        now = self._clock()
        found = [
            occ
            for occ in self._between(now, now + _CANCEL_HORIZON)
            if occ.broadcast_id == base
        ]
        if not found or self._dispatcher.current_id(base) != broadcast_id:
            return False
        with self._lock:
            self._remove_job(base)
            return self._dispatcher.cancel(found[0], by=by, reason=reason)
