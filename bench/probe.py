"""A listening probe (`python -m bench.probe PREFIX...`): records when the first command
of each broadcast reaches a subscriber on the broker, for the timing scenario."""

from __future__ import annotations

import json
import sys
import threading
import time
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench.proc import serve
from bench.site import BROKER_HOST, broker_port


def main() -> None:
    prefixes = sys.argv[1:]
    first: dict[str, float] = {}
    lock = threading.Lock()
    subscribed = threading.Event()

    def on_message(client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        at = time.time()
        try:
            bid = str(json.loads(message.payload)["broadcast_id"])
        except (ValueError, KeyError):
            return
        with lock:
            first.setdefault(bid, at)

    def on_connect(client: mqtt.Client, u: Any, f: Any, rc: Any, p: Any) -> None:
        client.subscribe([(f"{prefix}/+/+/cmd", 0) for prefix in prefixes])

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-probe-{prefixes[0]}")
    client.on_message = on_message
    client.on_connect = on_connect
    client.on_subscribe = lambda *args: subscribed.set()
    client.connect(BROKER_HOST, broker_port())
    client.loop_start()
    subscribed.wait(10)

    def report(command: dict[str, Any]) -> dict[str, Any]:
        with lock:
            return {"first": dict(first)}

    def stop(command: dict[str, Any]) -> dict[str, Any]:
        client.disconnect()
        client.loop_stop()
        return {"ok": True}

    serve({"report": report, "stop": stop}, ready={"ready": subscribed.is_set()})


if __name__ == "__main__":
    main()
