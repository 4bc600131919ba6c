"""The cluster side of the fault suite: one paho client publishing as clusters would
(QoS 1, persistent session, reconnecting quickly), and what the daemon made of it,
read back the way an operator would (the SQLite file, /metrics)."""

from __future__ import annotations

import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from broadcastd.contract import Ack
from broadcastd.contract.topics import TopicKind
from tests.service.harness import Commune

AckKey = tuple[str, str, str, int]


def confirmed(info: mqtt.MQTTMessageInfo) -> bool:
    """Whether the broker PUBACKed this publish. `is_published()` raises for one made
    while disconnected (rc NO_CONN), though paho keeps it and sends it on reconnect."""
    return bool(info._published)  # paho sets it on the PUBACK


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

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> mqtt.MQTTMessageInfo:
        info = self.client.publish(topic, payload, qos=1, retain=retain)
        self.sent.append((topic, payload, info))
        return info

    def publish_all(self, messages: Iterable[tuple[str, bytes]]) -> None:
        for topic, payload in messages:
            self.publish(topic, payload)

    def confirmed(self) -> list[tuple[str, bytes]]:
        return [(topic, payload) for topic, payload, info in self.sent if confirmed(info)]

    def wait_confirmed(self, timeout_s: float = 30.0) -> int:
        """How many of the publishes the broker confirmed within `timeout_s`."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if all(confirmed(info) for _t, _p, info in self.sent):
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
    name = f"fault-look-{uuid.uuid4().hex[:8]}"
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=name)
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


class AckStream:
    """Distinct acks for one broadcast (cluster by cluster, item after item), published
    in paced bursts from a thread until `stop()`, like a busy morning's clusters."""

    def __init__(
        self, side: ClusterSide, commune: Commune, prefix: str, broadcast_id: str,
        *, burst: int = 50, pause_s: float = 0.1,
    ) -> None:
        self._side, self._commune, self._prefix, self._bid = side, commune, prefix, broadcast_id
        self._burst, self._pause_s = burst, pause_s
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="ack-stream")
        self.published: list[tuple[AckKey, mqtt.MQTTMessageInfo]] = []

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join(30)

    def _run(self) -> None:
        clusters = self._commune.clusters
        n = 0
        while not self._stopping.is_set():
            for _ in range(self._burst):
                cluster, item = clusters[n % len(clusters)], n // len(clusters)
                ack = Ack(self._bid, "playing", datetime.now(UTC), item=item)
                name = self._commune.topic(self._prefix, cluster, TopicKind.ACK)
                info = self._side.publish(name, ack.to_payload())
                self.published.append(((self._bid, cluster, "playing", item), info))
                n += 1
            time.sleep(self._pause_s)

    def confirmed(self) -> set[AckKey]:
        """The acks the broker confirmed (PUBACKed) to the clusters' client."""
        return {key for key, info in self.published if confirmed(info)}

    def keys(self) -> set[AckKey]:
        return {key for key, _info in self.published}
