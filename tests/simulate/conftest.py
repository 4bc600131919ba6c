"""Fixtures for the simulated fleet: a unique topic root and commune per test, and a
stand-in for the server side that is a plain paho client on the real Mosquitto."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

BROKER = ("127.0.0.1", 1883)


@dataclass(frozen=True)
class Message:
    topic: str
    payload: bytes
    retain: bool


class ServerSide:
    """Publishes commands and collects everything under the test's topic root."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.messages: list[Message] = []
        self._changed = threading.Condition()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"srv-{prefix}")
        self._client.on_message = self._on_message
        subscribed = threading.Event()
        self._client.on_subscribe = lambda *args: subscribed.set()
        self._client.connect(*BROKER)
        self._client.loop_start()
        self._client.subscribe(f"{prefix}/#", qos=1)
        if not subscribed.wait(5):
            raise RuntimeError("the test broker did not confirm the subscription")

    def _on_message(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        with self._changed:
            self.messages.append(Message(msg.topic, bytes(msg.payload), bool(msg.retain)))
            self._changed.notify_all()

    def publish(self, topic: str, payload: bytes) -> None:
        self._client.publish(topic, payload, qos=1).wait_for_publish(5)

    def on(self, topic: str) -> list[Message]:
        with self._changed:
            return [m for m in self.messages if m.topic == topic]

    def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> bool:
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            return True

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()


def retained(topic: str, timeout: float = 5.0) -> bytes | None:
    """What a newcomer subscribing to `topic` gets as its retained message."""
    got: list[bytes] = []
    ready = threading.Event()

    def on_message(client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        if msg.retain:
            got.append(bytes(msg.payload))
            ready.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"peek-{uuid.uuid4().hex[:8]}")
    client.on_message = on_message
    client.connect(*BROKER)
    client.subscribe(topic, qos=1)
    client.loop_start()
    ready.wait(timeout)
    client.disconnect()
    client.loop_stop()
    return got[0] if got else None


@pytest.fixture
def prefix() -> str:
    return f"test-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def commune() -> str:
    """Unique, because client ids are `<commune>.<cluster>` and the broker is shared."""
    return f"c-{uuid.uuid4().hex[:10]}"


@pytest.fixture
def server(prefix: str) -> Iterator[ServerSide]:
    side = ServerSide(prefix)
    yield side
    side.close()
