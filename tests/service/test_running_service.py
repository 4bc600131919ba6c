"""`broadcastd run` as systemd runs it: the notify protocol, the watchdog, shutdown.

The daemon is a child process with `NOTIFY_SOCKET` pointing at a socket the test
reads, exactly the datagrams `systemctl status` and the watchdog are made of.
"""

from __future__ import annotations

import signal
import time

import pytest

from broadcastd.simulate.fleet import Fleet
from tests.integration.site import Site

from .harness import Commune, Notifications, unit_stop_timeout_s

pytestmark = pytest.mark.integration

def test_systemd_hears_ready_a_readable_status_regular_pings_and_stopping(
    daemon_site: Site, commune: Commune, systemd: Notifications
) -> None:
    ahead = commune.window(ahead_s=3600, length_s=600)
    daemon_site.write(commune.timetable({"morning": ahead}))
    fleet = Fleet(commune.fleet_config(daemon_site.prefix, speed=10.0))
    fleet.start()
    try:
        assert fleet.wait_online(timeout=15)
        daemon_site.start()

        systemd.wait_for(lambda m: m == "READY=1")
        expected = (
            f"broker connected · next {commune.broadcast_id('morning', ahead)} at "
            f"{ahead.start:%H:%M %z} · 4/4 clusters online"
        )
        systemd.wait_for(lambda m: m == f"STATUS={expected}")
        pings = systemd.during(2.0).count("WATCHDOG=1")
        assert pings >= 3, systemd.seen

        began = time.monotonic()
        assert daemon_site.process is not None
        daemon_site.process.send_signal(signal.SIGTERM)
        systemd.wait_for(lambda m: m == "STOPPING=1")
        assert daemon_site.process.wait(timeout=unit_stop_timeout_s()) == 0
        took = time.monotonic() - began
    finally:
        fleet.stop()
    print(f"\nSTATUS={expected}\nSIGTERM to exit: {took:.2f} s")
    assert "WATCHDOG=1" not in systemd.seen[systemd.seen.index("STOPPING=1"):]
    assert "acks flushed" in daemon_site.log()
