"""Signals in quick succession, as a user pressing Ctrl-C twice or a service manager
and an operator both stopping it: the daemon still stops, promptly and cleanly.

Before, the handlers set a `threading.Event` (and logged) on the main thread while it
was inside `Event.wait`, which holds the same lock each time it wakes: a second signal
at that moment deadlocked the daemon for good (seen after `timeout` and `pkill`).
"""

from __future__ import annotations

import signal

import pytest

from tests.integration.site import Site

from .harness import Commune, unit_stop_timeout_s

pytestmark = pytest.mark.integration


def test_a_burst_of_reloads_and_stops_still_stops_the_daemon(
    daemon_site: Site, commune: Commune
) -> None:
    daemon_site.write(commune.timetable({"morning": commune.window(ahead_s=3600, length_s=600)}))
    daemon_site.start()
    process = daemon_site.process
    assert process is not None
    for _ in range(200):
        process.send_signal(signal.SIGHUP)
    for _ in range(2000):
        process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=unit_stop_timeout_s()) == 0, daemon_site.log()
    daemon_site.process = None
    assert "acks flushed" in daemon_site.log()
