"""What the daemon is compared with: a bare paho loop (the raw limit of publishing
through this broker from Python) and one `mosquitto_pub` per cluster (what a cron job
would run). Both send contract-valid `play` commands like the daemon's."""

from __future__ import annotations

import shlex
import subprocess
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench.site import BROKER_HOST, STREAM, broker_port
from broadcastd.contract import PlayCommand, PlayItem, TopicKind, topic

Target = tuple[str, str]  # (commune, cluster)


def play_payload(bid: str, start: datetime, length_s: float = 600.0) -> bytes:
    """A `play` shaped like the daemon's (one stream item, volume 70, priority 0)."""
    item = PlayItem(
        kind="stream", url=str(STREAM["stream"]),
        duration_s=length_s, title=str(STREAM["title"]),
    )
    return PlayCommand(
        broadcast_id=bid,
        start=start,
        end=start + timedelta(seconds=length_s),
        priority=0,
        volume=70,
        items=(item,),
        sent_at=datetime.now(UTC),
    ).to_payload()


def tomorrow() -> datetime:
    """A start far enough ahead that a baseline's play never overlaps the daemon's."""
    return (datetime.now(UTC) + timedelta(hours=20)).replace(microsecond=0)


def raw_paho(prefix: str, targets: list[Target], bid: str) -> dict[str, float]:
    """One paho client, QoS 1, the same in-flight window as the daemon's link (1000):
    publish one play per cluster, time until the last PUBACK."""
    payloads = [
        (topic(prefix, commune, cluster, TopicKind.CMD), play_payload(bid, tomorrow()))
        for commune, cluster in targets
    ]
    done = threading.Event()
    acked = [0]

    def on_publish(client: mqtt.Client, userdata: object, mid: int, rc: object, p: object) -> None:
        acked[0] += 1
        if acked[0] == len(payloads):
            done.set()

    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-raw-{prefix}")
    client.max_inflight_messages_set(1000)
    client.max_queued_messages_set(0)
    client.on_publish = on_publish
    client.connect(BROKER_HOST, broker_port())
    client.loop_start()
    began = time.time()
    for name, payload in payloads:
        client.publish(name, payload, qos=1)
    done.wait(300)
    finished = time.time()
    client.disconnect()
    client.loop_stop()
    return {"start": began, "last_puback": finished, "seconds": finished - began}


def cron_script(path: Path, prefix: str, targets: list[Target], bid: str, start: datetime) -> Path:
    """The shell script a cron job would run: one `mosquitto_pub -q 1` per cluster."""
    lines = ["#!/bin/sh"]
    for commune, cluster in targets:
        name = topic(prefix, commune, cluster, TopicKind.CMD)
        payload = play_payload(bid, start).decode()
        lines.append(
            f"mosquitto_pub -h {BROKER_HOST} -p {broker_port()} -q 1 -i {commune}-{cluster}-cron "
            f"-t {shlex.quote(name)} -m {shlex.quote(payload)}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def mosquitto_pub(script: Path) -> dict[str, float]:
    """Run the cron script; each mosquitto_pub exits after its PUBACK."""
    began = time.time()
    subprocess.run(["/bin/sh", str(script)], check=True, stdout=subprocess.DEVNULL)
    finished = time.time()
    return {"start": began, "last_puback": finished, "seconds": finished - began}
