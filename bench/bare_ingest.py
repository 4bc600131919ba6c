"""The ingest baseline (`python -m bench.bare_ingest PREFIX DB`): a bare paho subscriber
that inserts acks into SQLite with one commit per batch, with the daemon's durability:
WAL, synchronous=FULL, and each message PUBACKed only after its commit."""

from __future__ import annotations

import json
import queue
import sqlite3
import sys
import threading
import time
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from bench.proc import serve
from bench.site import BROKER_HOST, broker_port

SCHEMA = """
CREATE TABLE IF NOT EXISTS acks (
    id INTEGER PRIMARY KEY, broadcast_id TEXT NOT NULL, commune TEXT NOT NULL,
    cluster TEXT NOT NULL, state TEXT NOT NULL, item INTEGER NOT NULL, at TEXT NOT NULL,
    stored_at REAL NOT NULL, UNIQUE (broadcast_id, cluster, state, item))
"""
MAX_BATCH = 500


def main() -> None:
    prefix, path = sys.argv[1], sys.argv[2]
    db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=FULL")
    db.execute(SCHEMA)
    inbox: queue.Queue[mqtt.MQTTMessage | None] = queue.Queue()
    subscribed = threading.Event()
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"bench-bare-{prefix}", manual_ack=True
    )
    client.on_message = lambda c, u, message: inbox.put(message)
    client.on_subscribe = lambda *args: subscribed.set()
    client.on_connect = lambda c, u, f, rc, p: c.subscribe(f"{prefix}/+/+/ack", qos=1)
    client.connect(BROKER_HOST, broker_port())
    client.loop_start()
    subscribed.wait(10)

    def write() -> None:
        while True:
            first = inbox.get()
            if first is None:
                return
            batch = [first]
            while len(batch) < MAX_BATCH:
                try:
                    item = inbox.get_nowait()
                except queue.Empty:
                    break
                if item is None:
                    break
                batch.append(item)
            rows = []
            now = time.time()
            for message in batch:
                _, commune, cluster, _ = message.topic.split("/")[-4:]
                ack = json.loads(message.payload)
                rows.append((ack["broadcast_id"], commune, cluster, ack["state"],
                             ack.get("item", -1), ack["at"], now))
            db.execute("BEGIN")
            db.executemany(
                "INSERT OR IGNORE INTO acks (broadcast_id, commune, cluster, state, item, at,"
                " stored_at) VALUES (?, ?, ?, ?, ?, ?, ?)", rows)
            db.execute("COMMIT")
            for message in batch:
                client.ack(message.mid, message.qos)

    writer = threading.Thread(target=write, daemon=True)
    writer.start()

    def stop(command: dict[str, Any]) -> dict[str, Any]:
        inbox.put(None)
        writer.join(10)
        client.disconnect()
        client.loop_stop()
        return {"ok": True}

    serve({"stop": stop}, ready={"ready": subscribed.is_set()})


if __name__ == "__main__":
    main()
