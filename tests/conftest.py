"""Fixtures shared by every test folder: the real broker and free ports."""

from __future__ import annotations

import socket
import uuid

import pytest

MOSQUITTO = ("127.0.0.1", 1883)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def broker_reachable(address: tuple[str, int] = MOSQUITTO) -> bool:
    try:
        with socket.create_connection(address, timeout=1.0):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def mosquitto() -> tuple[str, int]:
    """The real Mosquitto the integration tests talk to. Missing, the test fails and
    says how to get one, rather than passing without having checked anything."""
    if not broker_reachable():
        pytest.fail(
            "no MQTT broker on 127.0.0.1:1883. Install and start Mosquitto "
            "(`apt-get install mosquitto && mosquitto -d`), or run `.ci/run`, which does.",
            pytrace=False,
        )
    return MOSQUITTO


@pytest.fixture
def topic_prefix() -> str:
    """A topic root of the test's own, so tests sharing the broker never see each other."""
    return f"test-{uuid.uuid4().hex[:10]}"
