"""Fixtures for the service tests: a notify socket the test listens on, like systemd's."""

from __future__ import annotations

import socket
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest


class NotifySocket:
    """A bound AF_UNIX datagram socket standing in for systemd's notify socket."""

    def __init__(self, address: str, sock: socket.socket) -> None:
        self.address = address
        self.sock = sock

    @property
    def env_value(self) -> str:
        """What `$NOTIFY_SOCKET` holds for this socket (`@name` for an abstract one)."""
        return "@" + self.address[1:] if self.address.startswith("\0") else self.address

    def receive(self, timeout_s: float = 5.0) -> str:
        self.sock.settimeout(timeout_s)
        return self.sock.recv(4096).decode()

    def drain(self) -> list[str]:
        """Every datagram waiting now, without blocking."""
        self.sock.setblocking(False)
        messages = []
        try:
            while True:
                messages.append(self.sock.recv(4096).decode())
        except BlockingIOError:
            return messages
        finally:
            self.sock.setblocking(True)


@pytest.fixture
def notify_socket() -> Iterator[NotifySocket]:
    # A short directory: socket paths are limited to 107 bytes.
    with tempfile.TemporaryDirectory(prefix="sdn") as directory:
        path = str(Path(directory) / "notify")
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        sock.bind(path)
        try:
            yield NotifySocket(path, sock)
        finally:
            sock.close()


class FakeClock:
    """Monotonic seconds that move only when the test says so."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


# -- the real daemon (tests/service/harness.py) ---------------------------------------------

# The integration tests' generated audio library, shared for the session.
from tests.integration.conftest import audio_library  # noqa: F401
from tests.integration.site import Site

from .harness import Commune, Notifications


@pytest.fixture
def commune() -> Commune:
    return Commune.unique()


@pytest.fixture
def daemon_site(
    tmp_path: Path, audio_library: Path, mosquitto: tuple[str, int], topic_prefix: str  # noqa: F811
) -> Iterator[Site]:
    """Files on disk for `broadcastd run` (config, timetable, database); started by the test.
    The broker client id is `broadcastd-<prefix>`, unique like the prefix."""
    from tests.conftest import free_port

    made = Site(root=tmp_path, library=audio_library, prefix=topic_prefix, http_port=free_port())
    yield made
    if made.alive():
        made.stop()


@pytest.fixture
def systemd(
    notify_socket: NotifySocket, monkeypatch: pytest.MonkeyPatch
) -> Notifications:
    """The environment systemd gives a `Type=notify` unit with `WatchdogSec=1`: the
    daemon, in-process or a child, pings every half second."""
    monkeypatch.setenv("NOTIFY_SOCKET", notify_socket.env_value)
    monkeypatch.setenv("WATCHDOG_USEC", "1000000")
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    return Notifications(notify_socket)
