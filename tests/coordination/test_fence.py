"""The fence: a daemon whose leases were not renewed in time stops owning, by itself."""

from __future__ import annotations

import threading
import time

from broadcastd.coordination.fence import Fence


def test_a_deadline_not_renewed_fires_once_and_a_renewal_defers_it() -> None:
    fired = threading.Event()
    calls: list[float] = []

    def expired() -> None:
        calls.append(time.monotonic())
        fired.set()

    fence = Fence(expired)
    fence.start()
    try:
        fence.renewed(time.monotonic() + 60)
        assert fence.valid()
        fence.renewed(time.monotonic() + 0.05)  # the last renewal, then silence
        assert fired.wait(5)
        assert not fence.valid()
        time.sleep(0.2)
        assert len(calls) == 1
    finally:
        fence.stop()


def test_an_action_that_fails_does_not_end_the_fence() -> None:
    fired = threading.Event()
    attempts: list[int] = []

    def expired() -> None:
        attempts.append(1)
        if len(attempts) == 1:
            raise RuntimeError("database away")
        fired.set()

    fence = Fence(expired)
    fence.start()
    try:
        fence.renewed(time.monotonic())
        time.sleep(0.1)
        fence.renewed(time.monotonic())
        assert fired.wait(5)
    finally:
        fence.stop()
