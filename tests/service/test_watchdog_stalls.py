"""A hung worker stops the watchdog pings, so systemd restarts the daemon.

The daemon runs in this process (its `serve()` in a thread, as `broadcastd run` calls
it), so the test can hang each worker on purpose: the database writer inside a commit
callback, the scheduler's tick behind the dispatcher's lock, the MQTT network loop
inside a message callback, the HTTP server's event loop inside a request. Released, the worker recovers and the pings resume.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import httpx
import pytest

from broadcastd.contract import Presence, TopicKind
from broadcastd.daemon.main import serve
from broadcastd.daemon.runtime import Daemon
from broadcastd.settings import load_settings
from tests.integration.site import Site

from .harness import Commune, Notifications, Publisher

pytestmark = pytest.mark.integration

Stall = Callable[[Daemon, threading.Event, Commune, str], None]


@pytest.fixture
def running(
    daemon_site: Site, commune: Commune, systemd: Notifications
) -> Iterator[Daemon]:
    daemon_site.write(commune.timetable({"morning": commune.window(3600, 600)}))
    daemon = Daemon(load_settings(daemon_site.config))
    stop = threading.Event()
    thread = threading.Thread(target=serve, args=(daemon, stop), name="serve")
    thread.start()
    try:
        systemd.wait_for(lambda m: m == "READY=1")
        assert daemon.link is not None and daemon.link.wait_connected(10)
        yield daemon
    finally:
        stop.set()
        thread.join(30)
    assert not thread.is_alive()


def stall_writer(daemon: Daemon, release: threading.Event, commune: Commune, prefix: str) -> None:
    """A commit callback that never returns: the writer thread is stuck in it."""
    assert daemon.store is not None
    def stuck() -> None:
        release.wait()

    daemon.store.count_rejected("test", "test/stall", b"", datetime.now(UTC), on_commit=stuck)


def stall_scheduler(
    daemon: Daemon, release: threading.Event, commune: Commune, prefix: str
) -> None:
    """The dispatcher's lock held elsewhere: the scheduler's tick waits on it forever."""
    dispatcher = daemon.dispatcher
    assert dispatcher is not None
    held = threading.Event()

    def hold() -> None:
        with dispatcher._lock:  # the injected fault
            held.set()
            release.wait()

    threading.Thread(target=hold, daemon=True).start()
    assert held.wait(5)


def stall_mqtt(daemon: Daemon, release: threading.Event, commune: Commune, prefix: str) -> None:
    """A message callback that never returns: paho's network thread is stuck in it."""
    assert daemon.inbound is not None
    entered = threading.Event()
    handle = daemon.inbound.handle

    def blocking(message: object) -> None:
        entered.set()
        release.wait()
        handle(message)  # type: ignore[arg-type]

    daemon.inbound.handle = blocking  # type: ignore[method-assign]
    publisher = Publisher()
    try:
        state = commune.topic(prefix, commune.clusters[0], TopicKind.STATE)
        publisher.publish(state, Presence(online=True).to_payload()).wait_for_publish(5)
    finally:
        publisher.close()
    assert entered.wait(5)


def stall_http(daemon: Daemon, release: threading.Event, commune: Commune, prefix: str) -> None:
    """A request handler that blocks the server's event loop (the injected fault)."""
    assert daemon.http is not None
    app = daemon.http.app
    entered = threading.Event()

    async def blocking() -> None:
        entered.set()
        release.wait()

    app.add_api_route("/test-stall", blocking)
    url = f"http://127.0.0.1:{daemon.settings.http.port}/test-stall"

    def call() -> None:
        with contextlib.suppress(httpx.HTTPError):
            httpx.get(url, timeout=30)

    threading.Thread(target=call, daemon=True).start()
    assert entered.wait(5)


@pytest.mark.parametrize(
    ("worker", "stall"),
    [
        ("db-writer", stall_writer),
        ("scheduler", stall_scheduler),
        ("mqtt", stall_mqtt),
        ("http", stall_http),
    ],
)
def test_a_hung_worker_stops_the_watchdog_pings_and_status_names_it(
    running: Daemon,
    systemd: Notifications,
    commune: Commune,
    daemon_site: Site,
    worker: str,
    stall: Stall,
) -> None:
    systemd.wait_for(lambda m: m == "WATCHDOG=1")
    release = threading.Event()
    try:
        stall(running, release, commune, daemon_site.prefix)
        hung = systemd.wait_for(lambda m: m.startswith("STATUS=HUNG"), timeout_s=10)
        assert hung.startswith(f"STATUS=HUNG: {worker} (watchdog ping withheld) · ")
        assert "WATCHDOG=1" not in systemd.during(1.5)  # three rounds of the pinger
    finally:
        release.set()
    systemd.wait_for(lambda m: m == "WATCHDOG=1", timeout_s=10)
    print(f"\n{hung}")
