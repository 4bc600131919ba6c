"""Liveness of the daemon's workers, and the systemd watchdog ping that depends on it.

A thread that merely exists proves nothing: the scheduler, the MQTT network loop and
the database writer each show life by beating. The ping is sent only while every one
of them beat recently, so a hung worker stops the pings and systemd restarts the
daemon (`WatchdogSec=`), instead of a live-looking process that broadcasts nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import structlog

from broadcastd.service.notify import Notifier

log = structlog.get_logger(__name__)

Clock = Callable[[], float]
"""Monotonic seconds; `time.monotonic` in the daemon, a fake in tests."""


@dataclass
class _Worker:
    max_silence_s: float
    last: float
    last_beat: Callable[[], float] | None


class Heartbeats:
    """Named workers, each with the longest silence it may keep before it counts as hung.

    A worker either calls `beat(name)` from its loop, or is registered with
    `last_beat`, a callable giving its last sign of life on the same monotonic clock
    (for a worker that already tracks it, like the database writer).
    """

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._workers: dict[str, _Worker] = {}

    def register(
        self, name: str, max_silence_s: float, last_beat: Callable[[], float] | None = None
    ) -> None:
        """Registering counts as a first beat, so a worker has `max_silence_s` to start."""
        if max_silence_s <= 0:
            raise ValueError(f"max_silence_s for {name!r} must be positive, not {max_silence_s}")
        with self._lock:
            self._workers[name] = _Worker(max_silence_s, self._clock(), last_beat)

    def unregister(self, name: str) -> None:
        """For a worker that stops on purpose (shutdown), so it does not read as hung."""
        with self._lock:
            self._workers.pop(name, None)

    def beat(self, name: str) -> None:
        now = self._clock()
        with self._lock:
            worker = self._workers.get(name)
            if worker is None:
                raise KeyError(f"no worker named {name!r} is registered for heartbeats")
            worker.last = now

    def silence(self) -> dict[str, float]:
        """Seconds since each worker's last sign of life; infinity when it cannot be read."""
        now = self._clock()
        with self._lock:
            workers = dict(self._workers)
        return {name: now - self._last(name, worker) for name, worker in workers.items()}

    def stale(self) -> list[str]:
        """Names of the workers silent for longer than allowed, sorted."""
        now = self._clock()
        with self._lock:
            workers = dict(self._workers)
        return sorted(
            name
            for name, worker in workers.items()
            if now - self._last(name, worker) > worker.max_silence_s
        )

    @staticmethod
    def _last(name: str, worker: _Worker) -> float:
        if worker.last_beat is None:
            return worker.last
        try:
            return max(worker.last, worker.last_beat())
        except Exception as exc:  # noqa: BLE001 - a failing probe cannot prove the worker lives
            log.error("heartbeat probe failed", worker=name, error=repr(exc))
            return float("-inf")


class WatchdogPinger:
    """A thread that, every `interval_s`, refreshes `STATUS=` and pings `WATCHDOG=1` when
    no worker is stale. When one is, it logs which, skips the ping and says so in STATUS.

    `probe`, if given, runs after each round to make a quiet worker show life before the
    next (the MQTT link's round trip to the broker). The status text is read with a time
    limit: it takes the daemon's locks, and a hung worker holding one must not also
    silence the pinger's account of which worker hangs.

    `interval_s` defaults to the notifier's watchdog interval; without a watchdog
    (no `WatchdogSec=`) it only refreshes STATUS, every `status_interval_s`.
    """

    def __init__(
        self,
        notifier: Notifier,
        heartbeats: Heartbeats,
        status_text: Callable[[], str] | None = None,
        *,
        interval_s: float | None = None,
        status_interval_s: float = 10.0,
        status_timeout_s: float = 1.0,
        probe: Callable[[], None] | None = None,
    ) -> None:
        self._notifier = notifier
        self._heartbeats = heartbeats
        self._status_text = (
            _BoundedText(status_text, status_timeout_s) if status_text is not None else None
        )
        self._probe = probe
        self._watchdog_on = notifier.watchdog_interval() is not None or interval_s is not None
        self.interval_s = interval_s or notifier.watchdog_interval() or status_interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_status: str | None = None
        self._last_stale: list[str] = []
        self.ticks = 0

    def start(self) -> None:
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._run, name="watchdog", daemon=True)
        self._thread.start()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout_s: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
            self._thread = None

    def _run(self) -> None:
        while True:
            try:
                self.tick()
            except Exception as exc:  # noqa: BLE001 - the pinger must not die quietly: log, retry
                log.error("watchdog tick failed", error=repr(exc))
            if self._stop.wait(self.interval_s):
                return

    def tick(self) -> bool:
        """One round. Returns True when WATCHDOG=1 was sent."""
        stale = self._heartbeats.stale()
        self._report_stale(stale)
        self._refresh_status(stale)
        pinged = False
        if not stale and self._watchdog_on:
            pinged = self._notifier.watchdog()
        if self._probe is not None:
            try:
                self._probe()
            except Exception as exc:  # noqa: BLE001 - a failed probe shows as a silent worker
                log.warning("watchdog probe failed", error=repr(exc))
        self.ticks += 1
        return pinged

    def _report_stale(self, stale: list[str]) -> None:
        if stale:
            silence = self._heartbeats.silence()
            log.error("worker silent, withholding the watchdog ping so systemd restarts us",
                      workers=stale,
                      silent_s={name: round(silence[name], 1) for name in stale})
        elif self._last_stale:
            log.warning("workers alive again, watchdog pings resume", workers=self._last_stale)
        self._last_stale = stale

    def _refresh_status(self, stale: list[str]) -> None:
        text = self._compose_status(stale)
        if text and text != self._last_status and self._notifier.status(text):
            self._last_status = text

    def _compose_status(self, stale: list[str]) -> str:
        parts = []
        if stale:
            parts.append("HUNG: " + ", ".join(stale) + " (watchdog ping withheld)")
        if self._status_text is not None:
            parts.append(self._status_text())
        return " · ".join(parts)


class _BoundedText:
    """Reads the status text on a helper thread, waiting at most `timeout_s` for it.

    While a read is stuck (a lock held by a hung worker), no second one is started and
    the last text read is shown, marked as stale.
    """

    def __init__(self, read: Callable[[], str], timeout_s: float) -> None:
        self._read = read
        self._timeout_s = timeout_s
        self._lock = threading.Lock()
        self._pending: threading.Thread | None = None
        self._result = ""
        self._last_good = ""

    def __call__(self) -> str:
        with self._lock:
            stuck = self._pending is not None
            if self._pending is None:
                self._pending = threading.Thread(
                    target=self._run, name="status-text", daemon=True
                )
                self._pending.start()
            pending = self._pending
        # A read already stuck since an earlier round is not waited for again: the
        # pinger keeps its pace.
        pending.join(0 if stuck else self._timeout_s)
        with self._lock:
            if pending.is_alive():
                return f"{self._last_good} (status busy)" if self._last_good else "status busy"
            return self._result

    def _run(self) -> None:
        try:
            text = self._read()
            good = True
        except Exception as exc:  # noqa: BLE001 - a status bug must not stop the pings
            log.error("status text failed", error=repr(exc))
            text, good = "status unavailable", False
        with self._lock:
            self._result = text
            if good:
                self._last_good = text
            self._pending = None
