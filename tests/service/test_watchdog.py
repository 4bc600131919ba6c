"""Worker heartbeats and the watchdog ping that depends on them.

The clock of the heartbeats is fake, so a "stalled" worker is one whose time the test
moves on; the notify socket is real, so what systemd would read is what is checked.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from structlog.testing import capture_logs

from broadcastd.service.notify import Notifier
from broadcastd.service.watchdog import Heartbeats, WatchdogPinger

if TYPE_CHECKING:
    from tests.service.conftest import FakeClock, NotifySocket

WORKERS = ("scheduler", "mqtt-loop", "db-writer")


def three_workers(clock: FakeClock) -> Heartbeats:
    heartbeats = Heartbeats(clock)
    for name in WORKERS:
        heartbeats.register(name, max_silence_s=10)
    return heartbeats


def test_a_worker_silent_longer_than_allowed_is_stale(clock: FakeClock) -> None:
    heartbeats = three_workers(clock)
    clock.advance(8)
    heartbeats.beat("scheduler")
    heartbeats.beat("mqtt-loop")
    clock.advance(3)

    assert heartbeats.stale() == ["db-writer"]
    assert heartbeats.silence()["db-writer"] == 11

    heartbeats.beat("db-writer")
    assert heartbeats.stale() == []


def test_a_worker_can_report_its_own_last_beat(clock: FakeClock) -> None:
    writer_heartbeat = clock.now
    heartbeats = Heartbeats(clock)
    heartbeats.register("db-writer", max_silence_s=5, last_beat=lambda: writer_heartbeat)

    clock.advance(6)
    assert heartbeats.stale() == ["db-writer"]

    writer_heartbeat = clock.now
    assert heartbeats.stale() == []


def test_a_probe_that_raises_counts_as_stale_and_is_logged(clock: FakeClock) -> None:
    def broken() -> float:
        raise RuntimeError("writer gone")

    heartbeats = Heartbeats(clock)
    heartbeats.register("db-writer", max_silence_s=5, last_beat=broken)

    with capture_logs() as logs:
        assert heartbeats.stale() == ["db-writer"]
    assert logs[0]["worker"] == "db-writer"


def test_beating_an_unknown_worker_is_an_error_that_names_it(clock: FakeClock) -> None:
    with pytest.raises(KeyError, match="mqtt-lop"):
        Heartbeats(clock).beat("mqtt-lop")


def notifier_for(notify_socket: NotifySocket) -> Notifier:
    return Notifier({"NOTIFY_SOCKET": notify_socket.env_value, "WATCHDOG_USEC": "30000000"})


def test_watchdog_is_withheld_while_a_worker_stalls_and_resumes_when_it_beats(
    clock: FakeClock, notify_socket: NotifySocket
) -> None:
    heartbeats = three_workers(clock)
    pinger = WatchdogPinger(notifier_for(notify_socket), heartbeats, lambda: "broker connected")

    assert pinger.interval_s == 15.0
    assert pinger.tick() is True
    assert notify_socket.drain() == ["STATUS=broker connected", "WATCHDOG=1"]

    clock.advance(11)
    heartbeats.beat("scheduler")
    heartbeats.beat("db-writer")
    with capture_logs() as logs:
        assert pinger.tick() is False
        assert pinger.tick() is False
    assert notify_socket.drain() == [
        "STATUS=HUNG: mqtt-loop (watchdog ping withheld) · broker connected"
    ]
    assert logs[0]["workers"] == ["mqtt-loop"]
    assert logs[0]["silent_s"] == {"mqtt-loop": 11.0}

    heartbeats.beat("mqtt-loop")
    assert pinger.tick() is True
    assert notify_socket.drain() == ["STATUS=broker connected", "WATCHDOG=1"]


def test_status_is_sent_when_it_changes_only(clock: FakeClock, notify_socket: NotifySocket) -> None:
    texts = iter(["22/22 clusters online", "22/22 clusters online", "21/22 clusters online"])
    pinger = WatchdogPinger(notifier_for(notify_socket), three_workers(clock), lambda: next(texts))

    for _ in range(3):
        pinger.tick()

    assert [m for m in notify_socket.drain() if m.startswith("STATUS=")] == [
        "STATUS=22/22 clusters online",
        "STATUS=21/22 clusters online",
    ]


def test_a_failing_status_text_does_not_stop_the_ping(
    clock: FakeClock, notify_socket: NotifySocket
) -> None:
    def status() -> str:
        raise LookupError("no timetable")

    pinger = WatchdogPinger(notifier_for(notify_socket), three_workers(clock), status)

    with capture_logs():
        assert pinger.tick() is True
    assert notify_socket.drain() == ["STATUS=status unavailable", "WATCHDOG=1"]


def test_without_watchdog_usec_only_status_is_refreshed(
    clock: FakeClock, notify_socket: NotifySocket
) -> None:
    notifier = Notifier({"NOTIFY_SOCKET": notify_socket.env_value})
    pinger = WatchdogPinger(notifier, three_workers(clock), lambda: "ok", status_interval_s=7)

    assert pinger.interval_s == 7
    assert pinger.tick() is False
    assert notify_socket.drain() == ["STATUS=ok"]


def wait_for_ticks(pinger: WatchdogPinger, count: int) -> None:
    """Wait (bounded) until the thread has done `count` more rounds."""
    import time

    target = pinger.ticks + count
    deadline = time.monotonic() + 10
    while pinger.ticks < target:
        assert time.monotonic() < deadline, "the watchdog thread stopped ticking"
        time.sleep(0.005)


def test_the_thread_pings_regularly_stops_on_a_stall_and_stops_cleanly(
    clock: FakeClock, notify_socket: NotifySocket
) -> None:
    heartbeats = three_workers(clock)
    pinger = WatchdogPinger(notifier_for(notify_socket), heartbeats, interval_s=0.01)
    pinger.start()
    assert pinger.running
    try:
        wait_for_ticks(pinger, 3)
        assert notify_socket.drain().count("WATCHDOG=1") >= 3

        clock.advance(11)
        heartbeats.beat("scheduler")
        heartbeats.beat("mqtt-loop")
        with capture_logs():
            wait_for_ticks(pinger, 1)  # the round that may have started before the stall
            notify_socket.drain()
            wait_for_ticks(pinger, 3)
        assert "WATCHDOG=1" not in notify_socket.drain()

        heartbeats.beat("db-writer")
        wait_for_ticks(pinger, 2)
        assert "WATCHDOG=1" in notify_socket.drain()
    finally:
        pinger.stop()
    assert not pinger.running
