"""The cluster side of the fault suite: one paho client publishing as clusters would
(QoS 1, persistent session, reconnecting quickly), and what the daemon made of it,
read back the way an operator would (the SQLite file, /metrics)."""

from __future__ import annotations

import sqlite3
import time
import uuid
from collections.abc import Iterable
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion


class ClusterSide:
    """Publishes at QoS 1 and keeps every publish's `MQTTMessageInfo`: `is_published()`
    turns true once the broker confirmed (PUBACKed) it, which is the promise the daemon
    must keep. Its session survives a broker restart, so paho resends what was in flight."""

    def __init__(self, port: int) -> None:
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=f"fault-pub-{uuid.uuid4().hex[:8]}",
            clean_session=False,
        )
        self.client.reconnect_delay_set(min_delay=1, max_delay=1)
        self.client.max_inflight_messages_set(100)
        self.client.max_queued_messages_set(0)
        self.sent: list[tuple[str, bytes, mqtt.MQTTMessageInfo]] = []
        self.client.connect("127.0.0.1", port, keepalive=10)
        self.client.loop_start()

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> None:
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        self.sent.append((topic, payload, info))

    def publish_all(self, messages: Iterable[tuple[str, bytes]]) -> None:
        for topic, payload in messages:
            self.publish(topic, payload)

    def confirmed(self) -> list[tuple[str, bytes]]:
        return [(topic, payload) for topic, payload, info in self.sent if info.is_published()]

    def wait_confirmed(self, timeout_s: float = 30.0) -> int:
        """How many of the publishes the broker confirmed within `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if all(info.is_published() for _t, _p, info in self.sent):
                break
            time.sleep(0.05)
        return len(self.confirmed())

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def read(database: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as conn:
        return list(conn.execute(sql).fetchall())


def stored_acks(database: Path) -> set[tuple[str, str, str, int]]:
    """(broadcast_id, cluster, state, item) of every stored ack event."""
    rows = read(database, "SELECT broadcast_id, cluster, state, item FROM ack_events")
    return {(str(b), str(c), str(s), int(i)) for b, c, s, i in rows}  # type: ignore[call-overload]


def refused_in_database(database: Path) -> dict[str, int]:
    """The `rejected_messages` table: refusals counted by reason, as /status shows them."""
    return {str(reason): int(count)  # type: ignore[call-overload]
            for reason, count in read(database, "SELECT reason, count FROM rejected_messages")}


def retained(port: int, topic: str, wait_s: float = 1.0) -> bytes | None:
    """The retained message the broker holds on `topic`, as a new subscriber gets it."""
    got: list[bytes] = []
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"fault-look-{uuid.uuid4().hex[:8]}")
    client.on_message = lambda _c, _u, message: got.append(bytes(message.payload))
    client.connect("127.0.0.1", port)
    client.subscribe(topic, qos=1)
    client.loop_start()
    deadline = time.monotonic() + wait_s
    while not got and time.monotonic() < deadline:
        time.sleep(0.05)
    client.loop_stop()
    client.disconnect()
    return got[0] if got else None
