"""Resend policy: growing waits between `play` resends to a cluster that has not acked.

Pure, so the schedule of resends is tested without a broker or a clock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True, slots=True)
class ResendPolicy:
    first_after_s: float = 15.0
    factor: float = 2.0
    max_delay_s: float = 300.0

    def delay_after(self, sends: int) -> float:
        """Wait before the next resend, after `sends` sends so far (1 = the first play)."""
        exponent = max(sends - 1, 0)
        return min(self.first_after_s * self.factor**exponent, self.max_delay_s)

    def next_resend(self, last_sent: datetime, sends: int, end: datetime) -> datetime | None:
        """When to resend, or None when the broadcast will have ended by then."""
        due = last_sent + timedelta(seconds=self.delay_after(sends))
        return due if due < end else None
