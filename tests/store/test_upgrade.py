"""A database made by broadcastd before contract revision 1.1 (and so before migrations)
is upgraded at start: its ack key gains `detail`, no row is lost, and it is then stamped
and carried to the code's schema revision."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import MetaData, Table, UniqueConstraint, create_engine, inspect, select, text

from broadcastd.contract import Ack
from broadcastd.store import AckOutcome, open_store
from broadcastd.store.migrate import head, schema_state
from broadcastd.store.migrations.baseline import metadata as release
from broadcastd.store.schema import ack_events, broadcasts, metadata
from broadcastd.store.upgrade import upgrade

from .builders import CLUSTERS, SLOT_START, STORED_AT, morning

BID = morning().broadcast_id


def old_ack_events(scratch: MetaData) -> Table:
    """ack_events as broadcastd created it up to issue 8: `detail` not in the key."""
    broadcasts.to_metadata(scratch)  # what the foreign key names
    old = ack_events.to_metadata(scratch)
    old.constraints = {c for c in old.constraints if not isinstance(c, UniqueConstraint)}
    old.append_constraint(
        UniqueConstraint("broadcast_id", "cluster", "state", "item", name="uq_ack_events_key")
    )
    return old


def old_database(url: str) -> str:
    """The old schema with one broadcast and five acks of one cluster in it, and no
    record of a schema revision (broadcastd had no migrations then)."""
    store = open_store(url, now=lambda: STORED_AT)  # the tables, and the broadcast
    store.record_broadcast(morning(), CLUSTERS)
    store.start()
    store.stop()
    old = old_ack_events(MetaData())
    engine = create_engine(url)
    at = SLOT_START - timedelta(minutes=30)
    with engine.begin() as conn:
        conn.execute(text("DROP TABLE alembic_version"))
        for name in sorted(set(metadata.tables) - set(release.tables)):  # added since
            conn.execute(text(f"DROP TABLE {name}"))
        ack_events.drop(conn)
        old.create(conn)
        for n, (state, item, detail) in enumerate(
            [("received", -1, ""), ("ready", -1, ""), ("playing", 0, ""),
             ("suspended", 0, "man-lan/announce-053500/2026-11-29"), ("playing", 1, "")]
        ):
            conn.execute(old.insert(), {
                "broadcast_id": BID, "commune": "man-lan", "cluster": "ban-coc",
                "state": state, "item": item, "detail": detail,
                "cluster_at": at + timedelta(seconds=n),
                "received_at": at + timedelta(seconds=n + 0.5),
                "stored_at": at + timedelta(minutes=1),
            })
    engine.dispose()
    return url


def rows(url: str) -> list[tuple[object, ...]]:
    engine = create_engine(url)
    with engine.connect() as conn:
        found = [tuple(r) for r in conn.execute(select(ack_events).order_by(ack_events.c.id))]
    engine.dispose()
    return found


def unique_keys(url: str) -> list[tuple[str, ...]]:
    engine = create_engine(url)
    try:
        return [
            tuple(key["column_names"])
            for key in inspect(engine).get_unique_constraints(ack_events.name)
        ]
    finally:
        engine.dispose()


def revision(url: str) -> str | None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return schema_state(conn).revision
    finally:
        engine.dispose()


def test_an_old_database_keeps_every_ack_and_gets_the_key_with_detail(db_url: str) -> None:
    url = old_database(db_url)
    before = rows(url)
    assert len(before) == 5
    assert unique_keys(url) == [("broadcast_id", "cluster", "state", "item")]

    store = open_store(url, now=lambda: STORED_AT)  # upgrades before the writer starts
    store.start()
    try:
        assert rows(url) == before
        assert unique_keys(url) == [("broadcast_id", "cluster", "state", "item", "detail")]
        assert revision(url) == head()
        resumed = Ack(BID, "playing", SLOT_START + timedelta(seconds=9), item=1, detail="resumed")
        seen: list[AckOutcome] = []
        store.record_ack("man-lan", "ban-coc", resumed, SLOT_START, seen.append)
        store.record_ack("man-lan", "ban-coc", resumed, SLOT_START, seen.append)
        assert store.flush()
        assert seen == [AckOutcome.STORED, AckOutcome.DUPLICATE]
        assert len(rows(url)) == 6
    finally:
        store.stop()


def test_the_upgrade_is_done_once(db_url: str) -> None:
    url = old_database(db_url)
    engine = create_engine(url)
    try:
        assert len(upgrade(engine)) == 1
        assert upgrade(engine) == []
    finally:
        engine.dispose()
