"""Fixtures shared by every test folder: the real broker, PostgreSQL and free ports."""

from __future__ import annotations

import random
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.postgres import PostgresDatabase, PostgresUnavailable, session_database

ROOT = Path(__file__).resolve().parents[1]

MOSQUITTO = ("127.0.0.1", 1883)
RABBITMQ_MQTT = ("127.0.0.1", 1885)
"""RabbitMQ's MQTT plugin, moved off Mosquitto's 1883 (.ci/run, docs/brokers.md)."""


# Ports for the servers tests start, below the kernel's ephemeral range (32768-60999
# by default): a port the kernel handed out for `bind(0)` and closed goes back to that
# range, where any outgoing connection (a paho client, another test run) may take it as
# its source port before the daemon binds it.
_PORTS = range(20000, 32000)


def free_port() -> int:
    """A port nothing listens on now, outside the ephemeral range."""
    for _ in range(200):
        port = random.choice(_PORTS)
        with socket.socket() as sock:
            try:
                sock.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError("no free port in 20000-32000")


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


@pytest.fixture(scope="session")
def rabbitmq_mqtt() -> tuple[str, int]:
    """RabbitMQ's MQTT plugin, the second broker the daemon is tested against. Missing,
    the test fails and says how to get it, as a missing Mosquitto does."""
    if not broker_reachable(RABBITMQ_MQTT):
        pytest.fail(
            "no RabbitMQ MQTT listener on 127.0.0.1:1885. Run `.ci/run`, which installs "
            "rabbitmq-server, sets `mqtt.listeners.tcp.local = 127.0.0.1:1885` in "
            "/etc/rabbitmq/rabbitmq.conf and enables the plugin "
            "(`rabbitmq-plugins enable rabbitmq_mqtt`); docs/brokers.md says more.",
            pytrace=False,
        )
    return RABBITMQ_MQTT


BROKERS = ("mosquitto", "rabbitmq")


@pytest.fixture
def broker(request: pytest.FixtureRequest) -> tuple[str, int]:
    """The MQTT broker a test talks to: Mosquitto unless the test is parametrised with
    `parametrize("broker", ["mosquitto", "rabbitmq"], indirect=True)`."""
    name = getattr(request, "param", "mosquitto")
    if name not in BROKERS:
        raise ValueError(f"unknown broker {name!r}: one of {BROKERS}")
    fixture = "rabbitmq_mqtt" if name == "rabbitmq" else "mosquitto"
    address: tuple[str, int] = request.getfixturevalue(fixture)
    return address


@pytest.fixture
def topic_prefix() -> str:
    """A topic root of the test's own, so tests sharing the broker never see each other."""
    return f"test-{uuid.uuid4().hex[:10]}"


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresDatabase]:
    """A fresh PostgreSQL database for this session. Missing, the PostgreSQL cases skip
    and say how to provide one; SQLite stays the default every other test runs on."""
    try:
        with session_database() as database:
            yield database
    except PostgresUnavailable as exc:
        pytest.skip(str(exc))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The `long` runs (minutes each, or a second broker's variants) only when asked for
    with `-m long`; the skip names the folder to select them in. One hook for every
    folder: pytest calls a conftest's collection hook for all items, not its own."""
    expression = str(config.getoption("markexpr") or "")
    if "long" in expression and "not long" not in expression:
        return
    for item in items:
        if item.get_closest_marker("long") is not None:
            folder = item.path.parent.relative_to(ROOT)
            item.add_marker(pytest.mark.skip(
                reason=f"long run: select it with `pytest -m long {folder}`"))
