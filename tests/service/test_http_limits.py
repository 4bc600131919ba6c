"""Idle connections cannot take the HTTP side down (issue 8, defect 7).

The daemon runs with a small file limit (as `LimitNOFILE=` sets it) and more
connections than that are opened to it, each sending half a request head and then
nothing. It must keep its descriptors (connections beyond its cap are closed at once,
the slow ones after `http.header_timeout_s`), answer /healthz afterwards, and log the
condition a bounded number of times instead of a traceback per attempt.
"""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import httpx
import pytest

from tests.integration.site import Site

from .conftest import FakeClock
from .harness import Commune, scrape, value

pytestmark = pytest.mark.integration

FILE_LIMIT = 256
SLOW_CONNECTIONS = 400  # more than the daemon has descriptors
HEADER_TIMEOUT_S = 2


@contextmanager
def slow_clients(port: int, count: int) -> Iterator[list[socket.socket]]:
    """`count` connections, each having sent the start of a request head, then silence."""
    with ExitStack() as stack:
        clients = []
        for _ in range(count):
            sock = stack.enter_context(socket.socket())
            sock.settimeout(5)
            try:
                sock.connect(("127.0.0.1", port))
                sock.sendall(b"GET /status HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ")
            except OSError:
                continue  # refused or reset at once: the daemon defending itself
            clients.append(sock)
        yield clients


def lines_with(log: str, text: str) -> int:
    return sum(1 for line in log.splitlines() if text in line)


def test_more_slow_connections_than_files_leave_healthz_answering(
    daemon_site: Site, commune: Commune
) -> None:
    daemon_site.max_files = FILE_LIMIT
    daemon_site.extra_settings = {"http": {"header_timeout_s": HEADER_TIMEOUT_S}}
    daemon_site.write(commune.timetable({"morning": commune.window(3600, 600)}))
    daemon_site.start()
    assert value(scrape(daemon_site.base_url), "process_max_fds") == FILE_LIMIT

    with slow_clients(daemon_site.http_port, SLOW_CONNECTIONS) as clients:
        assert len(clients) > FILE_LIMIT // 2  # the load did reach the daemon
        time.sleep(HEADER_TIMEOUT_S + 1)  # the slow ones are past their deadline
        # Still holding every client socket: the daemon must have let go of its side.
        health = httpx.get(f"{daemon_site.base_url}/healthz", timeout=15)
        status = httpx.get(f"{daemon_site.base_url}/status", timeout=15)

    assert health.status_code == 200, health.text
    assert status.status_code == 200
    assert daemon_site.alive()
    log = daemon_site.log()
    assert lines_with(log, "Traceback") <= 1  # at most the one logged per minute
    assert lines_with(log, "out of system resource") <= 1
    assert lines_with(log, "too many open connections") <= 1
    assert lines_with(log, "no request head within the time allowed") <= 1


def record(message: str) -> logging.LogRecord:
    return logging.LogRecord("asyncio", logging.ERROR, __file__, 1, message, None, None)


def test_a_flooding_message_is_logged_once_per_interval_and_says_how_many_were_held(
    clock: FakeClock,
) -> None:
    from broadcastd.logs import RateLimit

    limit = RateLimit(["socket.accept() out of system resource"], interval_s=60, clock=clock)
    flood = [limit.filter(record("socket.accept() out of system resource")) for _ in range(500)]
    assert flood.count(True) == 1
    assert limit.filter(record("broker connected"))  # anything else passes

    clock.advance(61)
    later = record("socket.accept() out of system resource")
    assert limit.filter(later)
    assert "499 more like it in the last 60 s not logged" in later.getMessage()
