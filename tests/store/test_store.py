"""The store as the dispatcher uses it: a real SQLite file or PostgreSQL database, the
real writer thread."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event, func, select

from broadcastd.contract import Ack
from broadcastd.store import AckOutcome, Store, open_store
from broadcastd.store.schema import ack_events

from .builders import CLUSTERS, SLOT_START, STORED_AT, ack, morning

RECEIVED_AT = SLOT_START + timedelta(seconds=1)


def outcomes_of(store: Store, commune: str, cluster: str, acks: list[Ack]) -> list[AckOutcome]:
    seen: list[AckOutcome] = []
    for one in acks:
        store.record_ack(commune, cluster, one, RECEIVED_AT, seen.append)
    assert store.flush()
    return seen


def ack_rows(store: Store) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(ack_events)).scalar_one())


def test_a_broadcast_is_recorded_once_with_a_pending_delivery_per_cluster(store: Store) -> None:
    store.record_broadcast(morning(), CLUSTERS)
    store.record_broadcast(morning(), CLUSTERS[:1])
    assert store.flush()

    view = store.broadcast("man-lan/morning/2026-11-29")
    assert view is not None
    assert view.title == "Bản tin sáng"
    assert view.start == SLOT_START and view.start.tzinfo is not None
    assert view.date.isoformat() == "2026-11-29"
    assert view.cancelled_at is None
    states = store.delivery_states("man-lan/morning/2026-11-29")
    assert sorted(states) == sorted(CLUSTERS)
    assert all(d.last_state is None and d.sends == 0 for d in states.values())


def test_sends_are_counted_with_their_outcome_and_broker_confirmation(store: Store) -> None:
    store.record_broadcast(morning(), CLUSTERS)
    first = SLOT_START - timedelta(minutes=2)
    store.record_send(morning().broadcast_id, "ban-coc", "play", "queued", first)
    store.record_send(
        morning().broadcast_id, "ban-coc", "play", "published", first + timedelta(seconds=30)
    )
    store.record_send(
        morning().broadcast_id, "ban-coc", "stop", "failed", first + timedelta(seconds=60)
    )
    assert store.flush()
    delivery = store.delivery_states(morning().broadcast_id)["ban-coc"]
    assert delivery.sends == 2
    assert delivery.first_sent_at == first
    assert delivery.last_sent_at == first + timedelta(seconds=60)
    assert delivery.last_send_outcome == "failed"

    store.record_publish_confirmed(morning().broadcast_id, "ban-coc", first + timedelta(seconds=61))
    assert store.flush()
    delivery = store.delivery_states(morning().broadcast_id)["ban-coc"]
    assert delivery.last_send_outcome == "published"
    assert delivery.published_at == first + timedelta(seconds=61)


def test_duplicate_acks_are_one_row_within_a_batch_and_across_batches(db_url: str) -> None:
    store = open_store(db_url, now=lambda: STORED_AT)
    store.record_broadcast(morning(), CLUSTERS)
    seen: list[AckOutcome] = []
    for one in [ack("received"), ack("received"), ack("playing", 0), ack("playing", 0)]:
        store.record_ack("man-lan", "ban-coc", one, RECEIVED_AT, seen.append)
    store.start()  # everything above is one batch
    try:
        assert store.flush()
        assert seen == [
            AckOutcome.STORED,
            AckOutcome.DUPLICATE,
            AckOutcome.STORED,
            AckOutcome.DUPLICATE,
        ]
        assert outcomes_of(store, "man-lan", "ban-coc", [ack("received")]) == [AckOutcome.DUPLICATE]
        assert ack_rows(store) == 2
        events = store.ack_events(morning().broadcast_id)
        assert [(e.state, e.item) for e in events] == [("received", None), ("playing", 0)]
        assert events[0].stored_at == STORED_AT and events[0].received_at == RECEIVED_AT
    finally:
        store.stop()


def test_late_acks_never_move_a_delivery_backwards(store: Store) -> None:
    store.record_broadcast(morning(), CLUSTERS)
    arriving = [
        ack("playing", 1, seconds=300),
        ack("received"),
        ack("ready", seconds=10),
        ack("playing", 0, seconds=1),
    ]
    outcomes_of(store, "man-lan", "ban-lung", arriving)
    delivery = store.delivery_states(morning().broadcast_id)["ban-lung"]
    assert (delivery.last_state, delivery.last_item) == ("playing", 1)
    assert delivery.last_state_at == SLOT_START + timedelta(seconds=300)

    outcomes_of(store, "man-lan", "ban-lung", [ack("playing", 2, seconds=600)])
    assert store.delivery_states(morning().broadcast_id)["ban-lung"].last_item == 2

    outcomes_of(
        store,
        "man-lan",
        "ban-lung",
        [ack("finished", seconds=1800), ack("playing", 3, seconds=900)],
    )
    delivery = store.delivery_states(morning().broadcast_id)["ban-lung"]
    assert delivery.last_state == "finished"
    assert ack_rows(store) == 7  # every ack is kept as an event, even when it moved nothing


def test_acks_for_unknown_broadcasts_are_counted_not_stored(store: Store) -> None:
    store.record_broadcast(morning(), CLUSTERS)
    outcomes = outcomes_of(
        store, "man-lan", "ban-coc", [ack("received", broadcast_id="man-lan/noon/x")]
    )
    outcomes += outcomes_of(store, "khai-xuan", "ban-coc", [ack("received")])  # wrong commune
    outcomes += outcomes_of(store, "man-lan", "not-a-target", [ack("received")])
    assert outcomes == [AckOutcome.UNKNOWN_BROADCAST] * 3
    assert ack_rows(store) == 0
    [rejected] = store.rejected_counts()
    assert (rejected.reason, rejected.count) == ("unknown_broadcast", 3)
    assert rejected.last_topic == "man-lan/not-a-target/ack"
    assert "man-lan/morning/2026-11-29" in rejected.last_sample


def test_rejected_messages_are_counted_by_reason_with_the_last_sample(store: Store) -> None:
    at = SLOT_START
    store.count_rejected("malformed", "broadcast/man-lan/ban-coc/ack", b"\xff{not json", at)
    store.count_rejected("malformed", "broadcast/man-lan/ban-lung/ack", b"x" * 5000, at)
    done = threading.Event()
    store.count_rejected("bad_version", "broadcast/man-lan/ban-coc/ack", b'{"v":2}', at, done.set)
    assert store.flush() and done.is_set()
    counts = {r.reason: r for r in store.rejected_counts()}
    assert counts["malformed"].count == 2
    assert counts["malformed"].last_topic == "broadcast/man-lan/ban-lung/ack"
    assert len(counts["malformed"].last_sample) < 5000
    assert counts["bad_version"].count == 1 and counts["bad_version"].last_sample == '{"v":2}'


def test_a_rejected_message_with_nul_bytes_is_counted_and_shown(store: Store) -> None:
    """PostgreSQL's text holds no NUL; a payload made of anything must still be counted."""
    store.count_rejected("malformed", "broadcast/man-lan/ban-coc/ack", b"{\x00\x00bad", SLOT_START)
    assert store.flush()
    (counted,) = store.rejected_counts()
    assert counted.count == 1 and counted.last_sample == "{\ufffd\ufffdbad"


def test_presence_keeps_firmware_through_the_last_will(store: Store) -> None:
    online_at, will_at = SLOT_START, SLOT_START + timedelta(hours=1)
    store.record_presence("man-lan", "ban-coc", True, "2.1.0", 80, online_at)
    store.record_presence("man-lan", "ban-coc", False, None, None, will_at)
    assert store.flush()
    presence = store.presences()[("man-lan", "ban-coc")]
    assert presence.online is False
    assert (presence.firmware, presence.volume) == ("2.1.0", 80)
    assert presence.changed_at == will_at and presence.last_seen_at == will_at


def test_a_bad_op_is_skipped_and_the_writer_keeps_going(store: Store) -> None:
    store.record_broadcast(morning(), CLUSTERS)
    failed = threading.Event()
    seen: list[AckOutcome] = []
    naive = Ack(morning().broadcast_id, "received", datetime(2026, 11, 29, 5, 30))  # no offset

    def explode(_outcome: AckOutcome) -> None:
        raise RuntimeError("callback bug")

    store.record_ack("man-lan", "ban-coc", ack("received"), RECEIVED_AT, explode)
    store.record_ack("man-lan", "ban-lung", naive, RECEIVED_AT, seen.append, on_failed=failed.set)
    store.record_ack("man-lan", "ban-na-hu", ack("received"), RECEIVED_AT, seen.append)
    assert store.flush()
    assert failed.is_set()
    assert seen == [AckOutcome.STORED]
    assert store.writer_alive()
    assert outcomes_of(store, "man-lan", "ban-lung", [ack("ready")]) == [AckOutcome.STORED]
    assert ack_rows(store) == 3


def test_callbacks_run_after_the_ack_is_committed(store: Store, db_url: str) -> None:
    store.record_broadcast(morning(), CLUSTERS)
    visible: list[int] = []
    other = open_store(db_url)

    def check(_outcome: AckOutcome) -> None:
        visible.append(len(other.ack_events(morning().broadcast_id)))

    store.record_ack("man-lan", "ban-coc", ack("received"), RECEIVED_AT, check)
    assert store.flush()
    other.stop()
    assert visible == [1]


def test_the_writer_batches_many_acks_into_few_transactions(db_url: str) -> None:
    store = open_store(db_url)
    commits: list[int] = []
    event.listen(store.engine, "commit", lambda _conn: commits.append(1))
    clusters = [f"c{i:04d}" for i in range(1000)]
    store.record_broadcast(morning(), clusters)
    for cluster in clusters:  # queued before the writer starts, so batches are full
        store.record_ack("man-lan", cluster, ack("received"), RECEIVED_AT)
    store.start()
    assert store.flush()
    store.stop()
    assert len(commits) <= 4
    assert ack_rows(store) == 1000


def test_every_ack_survives_stop_and_reopening_the_file(db_url: str) -> None:
    store = open_store(db_url)
    store.start()
    store.record_broadcast(morning(), CLUSTERS)
    for n, cluster in enumerate(CLUSTERS * 100):
        store.record_ack("man-lan", cluster, ack("playing", n), RECEIVED_AT)
    store.stop()  # no flush: stop itself commits what is queued

    reopened = open_store(db_url)
    reopened.start()
    try:
        assert len(reopened.ack_events(morning().broadcast_id)) == 300
        states = reopened.delivery_states(morning().broadcast_id)
        assert {c: d.last_item for c, d in states.items()} == {
            "ban-na-hu": 297,
            "ban-coc": 298,
            "ban-lung": 299,
        }
    finally:
        reopened.stop()


def test_cancelling_keeps_the_first_cancellation_time(store: Store) -> None:
    store.record_broadcast(morning(), CLUSTERS)
    store.cancel_broadcast(morning().broadcast_id, SLOT_START)
    store.cancel_broadcast(morning().broadcast_id, SLOT_START + timedelta(minutes=5))
    assert store.flush()
    view = store.broadcast(morning().broadcast_id)
    assert view is not None and view.cancelled_at == SLOT_START
    assert store.active_broadcasts(SLOT_START - timedelta(hours=1)) == []


def test_health_check_reports_a_stopped_writer(db_url: str) -> None:
    store = open_store(db_url)
    store.start()
    assert store.check_writable() is None
    store.stop()
    reason = store.check_writable()
    assert reason is not None and "writer" in reason


def test_reads_filter_by_commune_date_and_delivery_state(store: Store) -> None:
    store.record_broadcast(morning(day=28), CLUSTERS)
    store.record_broadcast(morning(day=29), CLUSTERS)
    store.record_broadcast(morning("khai-xuan", day=29), ["ban-khai"])
    outcomes_of(
        store, "man-lan", "ban-coc", [ack("finished", broadcast_id="man-lan/morning/2026-11-28")]
    )
    day = morning(day=29).date

    ids = [b.broadcast_id for b in store.list_broadcasts(commune="man-lan")]
    assert ids == ["man-lan/morning/2026-11-29", "man-lan/morning/2026-11-28"]
    assert [b.broadcast_id for b in store.list_broadcasts(local_date=day, commune="khai-xuan")] == [
        "khai-xuan/morning/2026-11-29"
    ]
    assert [b.broadcast_id for b in store.list_broadcasts(state="finished")] == [
        "man-lan/morning/2026-11-28"
    ]
    assert len(store.list_broadcasts(state="pending")) == 3

    latest = store.last_deliveries(datetime(2026, 11, 29, 0, 0, tzinfo=UTC), "man-lan")
    assert latest[("man-lan", "ban-coc")][0].broadcast_id == "man-lan/morning/2026-11-29"
    before = store.last_deliveries(datetime(2026, 11, 28, 0, 0, tzinfo=UTC), "man-lan")
    assert before[("man-lan", "ban-coc")][1].last_state == "finished"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)  # PostgreSQL has no pragmas
def test_the_sqlite_file_is_in_wal_mode_with_full_sync(store: Store) -> None:
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 5000


def test_the_latest_revision_is_what_a_cluster_last_had_and_its_decision_is_stored(
    db_url: str,
) -> None:
    """`~10` sorts before `~9` as text: the newer record wins, not the larger id."""
    clock = [STORED_AT]
    store = open_store(db_url, now=lambda: clock[0])
    store.start()
    try:
        first = morning()
        for number in (1, 9, 10):
            bid = first.broadcast_id if number == 1 else f"{first.broadcast_id}~{number}"
            store.record_broadcast(replace(first, broadcast_id=bid), CLUSTERS)
            assert store.flush()  # created now
            clock[0] += timedelta(minutes=1)
        store.supersede(first.broadcast_id, first.broadcast_id, 2, clock[0], "edited")
        store.record_revision(first.broadcast_id, 10, "f" * 32, clock[0])
        assert store.flush()
        latest = store.last_deliveries(SLOT_START + timedelta(minutes=1), "man-lan")
        assert latest[("man-lan", "ban-coc")][0].broadcast_id == f"{first.broadcast_id}~10"
        assert store.broadcast(first.broadcast_id).cancelled_at is not None  # type: ignore[union-attr]
        revision = store.revision(first.broadcast_id)
        assert revision is not None and (revision.revision, revision.fingerprint) == (10, "f" * 32)
        assert store.revision("man-lan/evening/2026-11-29") is None
    finally:
        store.stop()


def test_a_resumed_broadcast_shows_playing_even_when_the_suspension_is_redelivered(
    store: Store,
) -> None:
    store.record_broadcast(morning(), CLUSTERS)
    suspended = replace(ack("suspended", 1, seconds=300), detail="man-lan/announce/2026-11-29")
    resumed = replace(ack("playing", 1, seconds=600), detail="resumed")
    outcomes = outcomes_of(
        store, "man-lan", "ban-coc", [ack("playing", 1, seconds=200), suspended, resumed]
    )
    outcomes += outcomes_of(store, "man-lan", "ban-coc", [suspended, resumed])  # QoS 1 again
    assert outcomes == [AckOutcome.STORED] * 3 + [AckOutcome.DUPLICATE] * 2
    delivery = store.delivery_states(morning().broadcast_id)["ban-coc"]
    assert (delivery.last_state, delivery.last_detail) == ("playing", "resumed")
    assert ack_rows(store) == 3


def test_every_ack_moves_its_clusters_last_seen(store: Store) -> None:
    store.record_broadcast(morning(), CLUSTERS)
    store.record_presence("man-lan", "ban-coc", True, "2.1.0", 80, SLOT_START)
    assert store.flush()
    later = SLOT_START + timedelta(minutes=5)
    store.record_ack("man-lan", "ban-coc", ack("playing", 0), later)
    store.record_ack("man-lan", "ban-lung", ack("received"), later)  # never sent its state
    store.record_ack("man-lan", "ban-coc", ack("received"), SLOT_START)  # older: no move back
    assert store.flush()
    presences = store.presences()
    coc = presences[("man-lan", "ban-coc")]
    assert coc.last_seen_at == later
    assert coc.online is True and coc.changed_at == SLOT_START
    lung = presences[("man-lan", "ban-lung")]
    assert lung.last_seen_at == later and lung.online is False  # offline until it says so


def test_a_suspension_arriving_after_the_resume_it_preceded_does_not_hide_it(
    store: Store,
) -> None:
    store.record_broadcast(morning(), CLUSTERS)
    resumed = replace(ack("playing", 1, seconds=600), detail="resumed")
    suspended = replace(ack("suspended", 1, seconds=300), detail="man-lan/announce/2026-11-29")
    outcomes_of(store, "man-lan", "ban-coc", [ack("playing", 1, seconds=200), resumed])
    outcomes_of(store, "man-lan", "ban-coc", [suspended])  # late, first time
    delivery = store.delivery_states(morning().broadcast_id)["ban-coc"]
    assert (delivery.last_state, delivery.last_detail) == ("playing", "resumed")
    assert ack_rows(store) == 3
