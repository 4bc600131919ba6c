"""A database made by the previous release (711ca29, before migrations) is upgraded at
start: every row is still there and readable through the store, the schema is exactly
today's, its revision is the head, and a second start changes nothing.

The fixtures are SQL dumps of databases that release's own code wrote (SQLite and
PostgreSQL); tools/make_release_fixtures.py made them.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, select

from broadcastd.access.tokens import token_digest
from broadcastd.announce import persist
from broadcastd.contract import Ack
from broadcastd.store import AckOutcome, open_store, users
from broadcastd.store.engine import store_engine
from broadcastd.store.migrate import head, schema_state, upgrade_to_head
from broadcastd.store.migrations.baseline import metadata as release

from .test_migrations import differences

RELEASE = "711ca29"
FIXTURES = Path(__file__).with_name("fixtures")
MORNING = "man-lan/morning/2026-11-29"
EVENING = "khai-xuan/evening/2026-11-29"
START = datetime(2026, 11, 28, 22, 30, tzinfo=UTC)


def load_release_database(url: str) -> None:
    """The release's dump, run statement by statement by the database's own driver."""
    engine = create_engine(url)
    dump = (FIXTURES / f"release-{RELEASE}.{engine.dialect.name}.sql").read_text()
    raw = engine.raw_connection()
    try:
        driver: Any = raw.driver_connection
        if engine.dialect.name == "sqlite":
            driver.executescript(dump)
        else:
            driver.execute(dump)  # no parameters: psycopg runs the whole script
            raw.commit()
    finally:
        raw.close()
        engine.dispose()


def every_row(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the release's tables, in the release's columns (tables and columns
    added since start empty, and are not the release's rows)."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return {
                table.name: sorted(
                    (tuple(row) for row in conn.execute(select(table))), key=repr
                )
                for table in release.sorted_tables
            }
    finally:
        engine.dispose()


def test_the_previous_releases_database_is_upgraded_at_start(db_url: str) -> None:
    load_release_database(db_url)
    before = every_row(db_url)
    assert sum(len(rows) for rows in before.values()) > 30
    assert all(before[name] for name in ("broadcasts", "deliveries", "ack_events",
                                         "cluster_presence", "users", "api_tokens", "changes"))
    engine = create_engine(db_url)
    with engine.connect() as conn:
        assert (schema_state(conn).revision, schema_state(conn).legacy) == (None, True)
    engine.dispose()

    store = open_store(db_url, now=lambda: START)  # the upgrade runs here
    store.start()
    try:
        assert every_row(db_url) == before
        reads_what_the_release_wrote(store)
        # and goes on writing: a new ack after the release's eight (ids carry on)
        seen: list[AckOutcome] = []
        late = Ack(MORNING, "finished", START + timedelta(minutes=31))
        store.record_ack("man-lan", "ban-lung", late, START + timedelta(minutes=31), seen.append)
        assert store.flush() and seen == [AckOutcome.STORED]
        assert [event.state for event in store.ack_events(MORNING)][-1] == "finished"
    finally:
        store.stop()

    engine = store_engine(db_url)
    try:
        assert differences(engine) == []
        again = upgrade_to_head(engine)  # a second start
        assert (again.before, again.after, again.changed) == (head(), head(), False)
    finally:
        engine.dispose()


def reads_what_the_release_wrote(store: Any) -> None:
    morning = store.broadcast(MORNING)
    assert morning is not None and morning.title == "Bản tin sáng"
    assert morning.start == START and morning.cancelled_at is None
    evening = store.broadcast(EVENING)
    assert evening is not None and evening.cancelled_at is not None
    assert [(c.actor, c.reason) for c in store.changes(EVENING)] == [("district-script", "mất điện")]

    events = store.ack_events(MORNING)
    assert sorted(((e.cluster, e.state, e.item, e.detail) for e in events), key=repr) == sorted([
        ("ban-coc", "received", None, ""), ("ban-coc", "ready", None, ""),
        ("ban-coc", "playing", 0, ""),
        ("ban-coc", "suspended", 0, "man-lan/announce-053500/2026-11-29"),
        ("ban-coc", "playing", 1, "resumed"), ("ban-coc", "finished", None, ""),
        ("ban-lung", "received", None, ""), ("ban-lung", "failed", 0, "audio fetch: HTTP 404"),
    ], key=repr)
    deliveries = store.delivery_states(MORNING)
    assert sorted(deliveries) == ["ban-coc", "ban-lung", "ban-na-hu"]
    assert deliveries["ban-coc"].last_state == "finished"
    assert deliveries["ban-na-hu"].sends == 2

    presences = store.presences("man-lan")
    assert {cluster: p.online for (_c, cluster), p in presences.items()} == {
        "ban-coc": True, "ban-lung": True, "ban-na-hu": False
    }
    assert presences[("man-lan", "ban-coc")].firmware == "2.4.1"
    assert len(store.presence_history("man-lan", "ban-coc")) == 1
    assert [(r.reason, r.count) for r in store.rejected_counts()] == [("bad-json", 2)]
    revision = store.revision(MORNING)
    assert revision is not None and revision.revision == 1

    token = store.token_by_digest(token_digest("t" * 43))
    assert token is not None and (token.name, token.role) == ("district-script", "operator")
    assert [(u.name, u.role) for u in store.read(users.list_users)] == [("lan", "operator")]
    session = store.read(lambda conn: users.session_by_digest(conn, "d" * 64))
    assert session is not None and session.user == "lan"

    (notice,) = persist.load(store, START)
    assert notice.title == "Thông báo khẩn: nước lũ" and notice.clusters == ("ban-coc",)
