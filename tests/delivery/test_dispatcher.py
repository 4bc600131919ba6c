"""The delivery policy against a real broker and database, with the clock chosen."""

from __future__ import annotations

import time
from datetime import timedelta

from broadcastd.contract import Ack, PlayCommand, StopCommand
from broadcastd.delivery.dispatcher import Dispatcher
from broadcastd.delivery.policy import ResendPolicy
from broadcastd.store import open_store

from .conftest import Bench

CLUSTERS = ["loa-01", "loa-02", "loa-03"]


def test_opening_sends_one_play_to_every_target_cluster(bench: Bench) -> None:
    assert bench.dispatcher.open(bench.occurrence)
    assert not bench.dispatcher.open(bench.occurrence)  # idempotent
    seen = bench.clusters.wait_total(3)
    assert sorted(seen) == CLUSTERS
    for commands in seen.values():
        (play,) = commands
        assert isinstance(play, PlayCommand)
        assert play.broadcast_id == bench.occurrence.broadcast_id
        assert play.sent_at == bench.clock.now
        assert play.start == bench.occurrence.start
    bench.settle()
    time.sleep(0.3)  # PUBACKs
    bench.settle()
    deliveries = bench.store.delivery_states(bench.occurrence.broadcast_id)
    assert {d.cluster: d.sends for d in deliveries.values()} == dict.fromkeys(CLUSTERS, 1)
    assert {d.last_send_outcome for d in deliveries.values()} == {"published"}


def test_clusters_that_do_not_ack_are_resent_to_with_growing_waits(bench: Bench) -> None:
    bench.dispatcher.open(bench.occurrence)
    bench.clusters.wait_total(3)
    bench.dispatcher.note_ack(bench.occurrence.commune, "loa-01", bench.occurrence.broadcast_id,
                              "received")
    bench.clock.advance(9)
    bench.dispatcher.tick()
    time.sleep(0.3)
    assert bench.clusters.total() == 3  # not yet: the first wait is 10 s
    bench.clock.advance(1)
    bench.dispatcher.tick()
    seen = bench.clusters.wait_total(5)
    assert {name: len(items) for name, items in seen.items()} == {
        "loa-01": 1, "loa-02": 2, "loa-03": 2
    }
    bench.clock.advance(19)  # the second wait is 20 s
    bench.dispatcher.tick()
    time.sleep(0.3)
    assert bench.clusters.total() == 5
    bench.clock.advance(1)
    bench.dispatcher.tick()
    assert bench.clusters.wait_total(7)["loa-02"][-1].broadcast_id == bench.occurrence.broadcast_id
    assert sorted(bench.dispatcher.unacked(bench.occurrence.broadcast_id)) == ["loa-02", "loa-03"]


def test_nothing_is_resent_after_the_end(bench: Bench) -> None:
    bench.dispatcher.open(bench.occurrence)
    bench.clusters.wait_total(3)
    bench.clock.now = bench.occurrence.end
    bench.dispatcher.tick()
    time.sleep(0.3)
    assert bench.clusters.total() == 3
    assert bench.dispatcher.active_ids() == []
    assert not bench.dispatcher.open(bench.occurrence)


def test_a_cluster_coming_online_is_sent_its_broadcast_at_once(bench: Bench) -> None:
    commune = bench.occurrence.commune
    bench.dispatcher.note_presence(commune, "loa-03", False)
    bench.dispatcher.open(bench.occurrence)
    bench.clusters.wait_total(3)
    bench.clock.advance(1)
    # Sent a second ago, but offline then: without a session it cannot have received
    # that send, so it is sent again at once (defect 6 of issue 8).
    bench.dispatcher.note_presence(commune, "loa-03", True)
    assert len(bench.clusters.wait_total(4)["loa-03"]) == 2
    bench.dispatcher.note_presence(commune, "loa-03", False)
    bench.dispatcher.note_presence(commune, "loa-03", True)
    assert len(bench.clusters.wait_total(5)["loa-03"]) == 3
    # A retained `online` (the daemon subscribing at a start or reconnect) repeats what
    # the broker last heard: a cluster already sent the broadcast this run is not sent
    # it again.
    bench.dispatcher.note_presence(commune, "loa-03", False)
    bench.dispatcher.note_presence(commune, "loa-03", True, retained=True)
    # Finished clusters are left alone.
    bench.dispatcher.note_ack(commune, "loa-02", bench.occurrence.broadcast_id, "finished")
    bench.dispatcher.note_presence(commune, "loa-02", False)
    bench.clock.advance(6)
    bench.dispatcher.note_presence(commune, "loa-02", True)
    time.sleep(0.3)
    assert bench.clusters.total() == 5


def test_cancelling_an_active_broadcast_stops_every_cluster(bench: Bench) -> None:
    bench.dispatcher.open(bench.occurrence)
    bench.clusters.wait_total(3)
    bench.clock.advance(150)  # live
    assert bench.dispatcher.cancel(bench.occurrence)
    assert not bench.dispatcher.cancel(bench.occurrence)
    seen = bench.clusters.wait_total(6)
    assert all(isinstance(items[-1], StopCommand) for items in seen.values())
    assert not bench.dispatcher.open(bench.occurrence)
    bench.settle()
    recorded = bench.store.broadcast(bench.occurrence.broadcast_id)
    assert recorded is not None and recorded.cancelled_at == bench.clock.now


def test_after_a_restart_finished_clusters_are_not_sent_again(bench: Bench) -> None:
    occurrence = bench.occurrence
    bench.dispatcher.open(occurrence)
    bench.clusters.wait_total(3)
    received = bench.clock.now
    bench.store.record_ack(occurrence.commune, "loa-01",
                           Ack(occurrence.broadcast_id, "finished", received), received)
    bench.store.record_ack(occurrence.commune, "loa-02",
                           Ack(occurrence.broadcast_id, "playing", received, 0), received)
    bench.settle()
    # A second dispatcher on the same database: what a restarted daemon has.
    restarted = Dispatcher(
        bench.link,
        bench.store,
        lambda occ: (),
        prefix=bench.prefix,
        lead_time_s=120,
        resend=ResendPolicy(first_after_s=10),
        clock=bench.clock,
    )
    bench.clock.advance(timedelta(minutes=5).total_seconds())
    assert restarted.open(occurrence, "join")
    seen = bench.clusters.wait_total(5)
    assert {name: len(items) for name, items in seen.items()} == {
        "loa-01": 1, "loa-02": 2, "loa-03": 2
    }
    # loa-02 holds it already: no resends; loa-03 never answered: resends.
    assert restarted.unacked(occurrence.broadcast_id) == ["loa-03"]


def test_a_cancellation_survives_a_restart(bench: Bench) -> None:
    bench.dispatcher.cancel(bench.occurrence)
    bench.settle()
    store = open_store(bench.db_url)
    try:
        restarted = Dispatcher(
            bench.link, store, lambda occ: (), prefix=bench.prefix, lead_time_s=120,
            resend=ResendPolicy(), clock=bench.clock,
        )
        assert not restarted.open(bench.occurrence)
    finally:
        store.stop()
