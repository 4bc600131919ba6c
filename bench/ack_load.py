"""Ack load in its own process (`python -m bench.ack_load SPEC.json`): contract-valid
`playing` acks (a new item number each round, so every one is a new row), published
QoS 1 as fast as the consumer stores them.

Closed loop: at most `window` acks are published and not yet stored, because Mosquitto
keeps at most 1,000 queued messages per subscriber (`max_queued_messages`) and drops
the rest. "Stored" is read from the consumer's SQLite file, so it counts commits only.
"""

from __future__ import annotations

import json
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench.proc import serve
from bench.site import BROKER_HOST, broker_port, read_only
from broadcastd.contract import Ack, TopicKind, topic

POLL_S = 0.01


class AckLoad:
    def __init__(self, spec: dict[str, Any]) -> None:
        self._targets = [
            (topic(spec["prefix"], commune, cluster, TopicKind.ACK), bid)
            for commune, cluster, bid in spec["targets"]
        ]
        self._sql = spec["sql"]
        self._db = read_only(spec["db"])
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-acks-{spec['prefix']}")
        self._client.max_inflight_messages_set(1000)
        self._client.max_queued_messages_set(0)
        self._client.connect(BROKER_HOST, broker_port())
        self._client.loop_start()
        self._base = self._stored_now()
        self.published = 0
        self._item = 1  # item 0 is the fleet's own `playing`
        self._position = 0

    def _stored_now(self) -> int:
        row = self._db.execute(self._sql).fetchone()
        return int(row[0] or 0)

    def stored(self) -> int:
        return self._stored_now() - self._base

    def _publish_one(self) -> None:
        name, bid = self._targets[self._position]
        ack = Ack(bid, "playing", datetime.now(UTC), item=self._item)
        self._client.publish(name, ack.to_payload(), qos=1)
        self.published += 1
        self._position += 1
        if self._position == len(self._targets):
            self._position, self._item = 0, self._item + 1

    def run(self, seconds: float, window: int) -> dict[str, Any]:
        began = time.monotonic()
        stored_start = self.stored()
        published_start = self.published
        while time.monotonic() - began < seconds:
            room = window - (self.published - self.stored())
            for _ in range(max(0, room)):
                self._publish_one()
            time.sleep(POLL_S)
        elapsed = time.monotonic() - began
        stored_end = self.stored()
        return {
            "seconds": elapsed,
            "published": self.published - published_start,
            "stored": stored_end - stored_start,
            "rate": (stored_end - stored_start) / elapsed,
            "backlog": self.published - stored_end,
        }

    def drain(self, timeout: float) -> dict[str, Any]:
        began = time.monotonic()
        while self.stored() < self.published and time.monotonic() - began < timeout:
            time.sleep(POLL_S)
        return {"drained": self.stored() >= self.published, "seconds": time.monotonic() - began,
                "unstored": self.published - self.stored()}

    def close(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()
        self._db.close()


def main() -> None:
    load = AckLoad(json.loads(Path(sys.argv[1]).read_text()))

    def stop(command: dict[str, Any]) -> dict[str, Any]:
        load.close()
        return {"ok": True}

    serve({
        "run": lambda c: load.run(float(c["seconds"]), int(c.get("window", 800))),
        "drain": lambda c: load.drain(float(c.get("timeout_s", 30))),
        "stop": stop,
    })


if __name__ == "__main__":
    main()
