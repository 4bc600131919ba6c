"""A database made by broadcastd before contract revision 1.1 is upgraded at start:
its ack key gains `detail`, and no row is lost."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, select

from broadcastd.contract import Ack
from broadcastd.store import AckOutcome, open_store
from broadcastd.store.schema import ack_events, metadata
from broadcastd.store.upgrade import upgrade

from .builders import CLUSTERS, SLOT_START, STORED_AT, morning

# ack_events as broadcastd created it up to issue 8: `detail` not in the key.
OLD_ACK_EVENTS = """
CREATE TABLE ack_events (
    id INTEGER NOT NULL,
    broadcast_id VARCHAR(200) NOT NULL,
    commune VARCHAR(63) NOT NULL,
    cluster VARCHAR(63) NOT NULL,
    state VARCHAR(16) NOT NULL,
    item INTEGER NOT NULL,
    detail TEXT NOT NULL,
    cluster_at DATETIME NOT NULL,
    received_at DATETIME NOT NULL,
    stored_at DATETIME NOT NULL,
    PRIMARY KEY (id),
    CONSTRAINT uq_ack_events_key UNIQUE (broadcast_id, cluster, state, item),
    FOREIGN KEY(broadcast_id) REFERENCES broadcasts (id)
)
"""
BID = morning().broadcast_id


def old_database(path: Path) -> str:
    """The old schema with one broadcast and five acks of one cluster in it."""
    url = f"sqlite:///{path}"
    engine = create_engine(url)
    metadata.create_all(
        engine, tables=[t for t in metadata.sorted_tables if t.name != "ack_events"]
    )
    engine.dispose()
    store = open_store(url, now=lambda: STORED_AT)  # the tables, and the broadcast
    store.record_broadcast(morning(), CLUSTERS)
    store.start()
    store.stop()
    with sqlite3.connect(path) as db:
        db.execute("DROP TABLE ack_events")
        db.execute(OLD_ACK_EVENTS)
        for n, (state, item, detail) in enumerate(
            [("received", -1, ""), ("ready", -1, ""), ("playing", 0, ""),
             ("suspended", 0, "man-lan/announce-053500/2026-11-29"), ("playing", 1, "")]
        ):
            db.execute(
                "INSERT INTO ack_events (broadcast_id, commune, cluster, state, item, detail,"
                " cluster_at, received_at, stored_at) VALUES (?, 'man-lan', 'ban-coc', ?, ?, ?,"
                " ?, ?, ?)",
                (BID, state, item, detail, f"2026-11-28 22:30:0{n}.000000",
                 f"2026-11-28 22:30:0{n}.500000", "2026-11-28 22:31:00.000000"),
            )
    return url


def rows(url: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = [tuple(r) for r in conn.execute(select(ack_events).order_by(ack_events.c.id))]
    engine.dispose()
    return found


def unique_keys(path: Path) -> list[str]:
    with sqlite3.connect(path) as db:
        (sql,) = db.execute(
            "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'ack_events'"
        ).fetchone()
    return [line.strip() for line in sql.splitlines() if "UNIQUE" in line]


def test_an_old_database_keeps_every_ack_and_gets_the_key_with_detail(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    url = old_database(path)
    before = rows(url)
    assert len(before) == 5
    assert unique_keys(path) == [
        "CONSTRAINT uq_ack_events_key UNIQUE (broadcast_id, cluster, state, item),"
    ]

    store = open_store(url, now=lambda: STORED_AT)  # upgrades before the writer starts
    store.start()
    try:
        assert rows(url) == before
        assert "detail" in " ".join(unique_keys(path))
        resumed = Ack(BID, "playing", SLOT_START + timedelta(seconds=9), item=1, detail="resumed")
        seen: list[AckOutcome] = []
        store.record_ack("man-lan", "ban-coc", resumed, SLOT_START, seen.append)
        store.record_ack("man-lan", "ban-coc", resumed, SLOT_START, seen.append)
        assert store.flush()
        assert seen == [AckOutcome.STORED, AckOutcome.DUPLICATE]
        assert len(rows(url)) == 6
    finally:
        store.stop()


def test_the_upgrade_is_done_once(tmp_path: Path) -> None:
    url = old_database(tmp_path / "old.db")
    engine = create_engine(url)
    try:
        assert len(upgrade(engine)) == 1
        assert upgrade(engine) == []
    finally:
        engine.dispose()
