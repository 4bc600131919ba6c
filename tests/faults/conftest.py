"""The fault suite's fixtures: the real daemon (tests/integration/site.py) on a Mosquitto
of the test's own (tests/faults/broker.py), a commune of its own
(tests/service/harness.py)."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import free_port
from tests.integration.conftest import audio_library  # noqa: F401
from tests.integration.site import Site
from tests.service.conftest import commune  # noqa: F401

from .broker import Mosquitto, RabbitMqtt


@pytest.fixture
def broker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Mosquitto | RabbitMqtt]:
    """A Mosquitto of the test's own; `parametrize("broker", ["rabbitmq"], indirect=True)`
    gives the machine's RabbitMQ MQTT instead (shared, so only restarts, no outages)."""
    if getattr(request, "param", "mosquitto") == "rabbitmq":
        _host, port = request.getfixturevalue("rabbitmq_mqtt")
        yield RabbitMqtt(port)
        return
    if shutil.which("mosquitto") is None:
        pytest.fail("the fault suite starts its own Mosquitto: `apt-get install mosquitto`",
                    pytrace=False)
    made = Mosquitto(tmp_path / "mosquitto", free_port())
    made.start()
    yield made
    made.stop()


@pytest.fixture
def site(
    tmp_path: Path,
    audio_library: Path,  # noqa: F811
    broker: Mosquitto | RabbitMqtt,
    topic_prefix: str,
) -> Iterator[Site]:
    """Files on disk for `broadcastd run` against the test's own broker; started by the test."""
    made = Site(
        root=tmp_path / "site",
        library=audio_library,
        prefix=topic_prefix,
        http_port=free_port(),
        broker_port=broker.port,
    )
    if isinstance(broker, RabbitMqtt):  # see broker.retained_on_wildcards
        made.extra_settings["broker"] = {"retained_on_wildcards": False}
    made.root.mkdir()
    yield made
    if made.alive():
        made.stop()
