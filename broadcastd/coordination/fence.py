"""A daemon's own deadline for what it owns, on its monotonic clock.

A lease renewed by a transaction that began at monotonic time `t` runs, by the
database's clock, until at least `t + lease` (the database's `now()` is taken after
`t`). So a daemon that stops sending at `t + lease - margin` when no later renewal
succeeded has stopped before any other daemon can take its communes, whether the
database is unreachable, slow, or its own process is stalled. The fence runs on a
thread of its own: a round stuck on a dead connection cannot hold it back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog

log = structlog.get_logger(__name__)


class Fence:
    def __init__(self, on_expired: Callable[[], None]) -> None:
        self._on_expired = on_expired
        self._deadline: float | None = None
        self._changed = threading.Condition()
        self._stopped = False
        self._thread = threading.Thread(target=self._run, name="lease fence", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        with self._changed:
            self._stopped = True
            self._changed.notify_all()
        self._thread.join(timeout=5)

    def renewed(self, deadline: float) -> None:
        """The leases hold until `deadline` (time.monotonic())."""
        with self._changed:
            self._deadline = deadline
            self._changed.notify_all()

    def valid(self) -> bool:
        with self._changed:
            return self._deadline is not None and time.monotonic() < self._deadline

    def _run(self) -> None:
        with self._changed:
            while not self._stopped:
                deadline = self._deadline
                if deadline is None:
                    self._changed.wait()
                    continue
                remaining = deadline - time.monotonic()
                if remaining > 0:
                    self._changed.wait(remaining)
                    continue
                self._deadline = None
                self._changed.release()
                try:
                    self._on_expired()
                except Exception:  # the fence must outlive whatever the daemon does
                    log.exception("fence action failed")
                finally:
                    self._changed.acquire()
