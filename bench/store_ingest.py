"""How many acks per second the store makes durable, on a real SQLite file.

Records broadcasts for a fleet of clusters, then submits `received`, `ready`,
`playing` and `finished` acks for every delivery as fast as the caller can, and
counts the seconds until the last `on_commit` ran (that is when an ack would be
acknowledged to the broker). Run: `python bench/store_ingest.py --acks 50000`.
"""

from __future__ import annotations

import argparse
import tempfile
import threading
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from broadcastd.contract import Ack
from broadcastd.store import AckOutcome, BroadcastRecord, open_store

STATES = ("received", "ready", "playing", "finished")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--acks", type=int, default=50_000)
    parser.add_argument("--clusters", type=int, default=10_000)
    parser.add_argument("--db", type=Path, help="SQLite file (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or Path(tmp) / "bench.db"
        rate, outcomes = run(db, args.acks, args.clusters)
    print(f"{args.acks} acks stored durably at {rate:,.0f} acks/s ({outcomes})")


def run(db: Path, total: int, clusters: int) -> tuple[float, dict[str, int]]:
    store = open_store(f"sqlite:///{db}")
    store.start()
    start = datetime(2026, 11, 29, 22, 30, tzinfo=UTC)
    names = [f"c{i:05d}" for i in range(clusters)]
    per_broadcast = clusters * len(STATES)
    broadcast_count = -(-total // per_broadcast)
    for n in range(broadcast_count):
        record = BroadcastRecord(
            broadcast_id=f"bench/slot{n}/2026-11-30",
            commune="bench",
            slot=f"slot{n}",
            date=date(2026, 11, 30),
            title="Bản tin",
            start=start,
            end=start + timedelta(minutes=30),
            priority=0,
            volume=80,
            send_at=start - timedelta(minutes=2),
        )
        store.record_broadcast(record, names)
    assert store.flush(60)

    outcomes: dict[str, int] = {}
    done = threading.Event()
    lock = threading.Lock()

    def committed(outcome: AckOutcome) -> None:
        with lock:
            outcomes[outcome.value] = outcomes.get(outcome.value, 0) + 1
            if sum(outcomes.values()) == total:
                done.set()

    acks = []
    for i in range(total):
        broadcast, rest = divmod(i, per_broadcast)
        state, index = divmod(rest, clusters)
        acks.append(
            (
                names[index],
                Ack(
                    f"bench/slot{broadcast}/2026-11-30",
                    STATES[state],
                    start + timedelta(seconds=state),
                    item=None,
                ),
            )
        )
    began = time.perf_counter()
    for cluster, ack in acks:
        store.record_ack("bench", cluster, ack, ack.at, committed)
    done.wait(600)
    elapsed = time.perf_counter() - began
    store.stop()
    return total / elapsed, outcomes


if __name__ == "__main__":
    main()
