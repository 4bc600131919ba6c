"""Sign-in attempts, limited per user name and per client address.

Failures are counted in a sliding window, in memory (a restart forgets them, which
costs a guesser a restart of our daemon: fine). Past the limit on either key, sign-in
answers 429 with the time to retry, without checking the password at all.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from datetime import datetime, timedelta

MAX_FAILURES = 5
WINDOW = timedelta(minutes=15)
MAX_KEYS = 10_000
"""Past this many names and addresses remembered, those with no recent failure are
forgotten, so a flood of made-up names cannot grow memory without end."""


def keys_of(name: str, address: str | None) -> tuple[str, str]:
    return f"user:{name.strip().lower()[:100]}", f"addr:{address or '?'}"


class SignInLimiter:
    def __init__(self, max_failures: int = MAX_FAILURES, window: timedelta = WINDOW) -> None:
        self.max_failures = max_failures
        self.window = window
        self._lock = threading.Lock()
        self._failures: dict[str, deque[datetime]] = {}

    def attempt(self, keys: Sequence[str], now: datetime) -> timedelta | None:
        """Count an attempt against `keys` as a failure until `succeeded` says otherwise,
        and None; or, when any key has had its failures, how long until it may try
        again (nothing counted). Counting first, under the lock, means that attempts
        sent in parallel cannot all pass the check before the first one fails."""
        with self._lock:
            waits = []
            for key in keys:
                times = self._recent(key, now)
                if len(times) >= self.max_failures:
                    waits.append(times[-self.max_failures] + self.window - now)
            if waits:
                return max(waits)
            if len(self._failures) >= MAX_KEYS:
                for key in list(self._failures):
                    if not self._recent(key, now):
                        del self._failures[key]
            for key in keys:
                self._failures.setdefault(key, deque(maxlen=self.max_failures)).append(now)
            return None

    def succeeded(self, keys: Sequence[str], now: datetime) -> None:
        """The right password: the name's count is cleared, and this attempt no longer
        counts against the address (its earlier failures still do)."""
        name, *others = keys
        with self._lock:
            self._failures.pop(name, None)
            for key in others:
                times = self._failures.get(key)
                if times and now in times:
                    times.remove(now)

    def _recent(self, key: str, now: datetime) -> deque[datetime]:
        times = self._failures.get(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        return times
