"""`GET /metrics` of a running daemon, read with Prometheus's own text parser: its
counters say what happened (plays sent, acks stored by state, messages refused by
reason, the last reload), matching the clusters' records and the database."""

from __future__ import annotations

import signal
import time
from collections import Counter
from datetime import UTC, datetime

import httpx
import pytest

from broadcastd.contract import Ack, TopicKind
from broadcastd.simulate.fleet import Fleet
from tests.integration.site import Site

from .harness import Commune, Publisher, ack_rows_by_state, eventually, scrape, value

pytestmark = pytest.mark.integration

EXCERPT = ("broadcastd_",)


def test_metrics_count_what_happened(daemon_site: Site, commune: Commune) -> None:
    # Starting 5 s ahead: the fleet plays 100 times faster from the start, so a daemon
    # slow to start on a loaded machine would otherwise reach it after the slot's end.
    window = commune.window(5, 120)
    bid = commune.broadcast_id("morning", window)
    daemon_site.write(commune.timetable({"morning": window}))
    fleet = Fleet(commune.fleet_config(daemon_site.prefix, speed=100.0))
    fleet.start()
    try:
        assert fleet.wait_online(timeout=15)
        started = time.time()
        daemon_site.start()
        assert fleet.wait_for(
            lambda view: all(rec.has_ack(bid, "finished") for rec in view.values()), timeout=20
        ), daemon_site.log()
        distinct = {
            (name, ack.state, ack.item)
            for name in commune.clusters
            for ack in fleet.snapshot(f"{commune.id}.{name}").acks_for(bid)
        }
        plays = sum(len(fleet.snapshot(f"{commune.id}.{n}").plays(bid)) for n in commune.clusters)
    finally:
        fleet.stop()

    # What a misbehaving speaker or a stranger sends: refused and counted.
    publisher = Publisher()
    try:
        ack_topic = commune.topic(daemon_site.prefix, commune.clusters[0], TopicKind.ACK)
        stranger = commune.topic(daemon_site.prefix, "loa-99", TopicKind.ACK)
        ghost = Ack(broadcast_id=f"{commune.id}/ghost/2026-01-01", state="received",
                    at=datetime.now(UTC)).to_payload()
        for topic_name, payload in [
            (ack_topic, b"{not json"),
            (ack_topic, b"[1, 2]"),
            (ack_topic, b'{"v": 2, "broadcast_id": "x", "state": "received"}'),
            (stranger, ghost),
            (ack_topic, ghost),
        ]:
            publisher.publish(topic_name, payload).wait_for_publish(5)
    finally:
        publisher.close()

    hung_up = time.time()
    assert daemon_site.process is not None
    daemon_site.process.send_signal(signal.SIGHUP)

    stored = ack_rows_by_state(daemon_site.database)
    assert stored == Counter(state for _, state, _ in distinct)  # each distinct ack, once
    assert eventually(
        lambda: value(scrape(daemon_site.base_url), "broadcastd_reload_failures_total") == 0
        and value(scrape(daemon_site.base_url),
                  "broadcastd_last_reload_success_timestamp_seconds") >= hung_up
    )
    samples = scrape(daemon_site.base_url)
    assert value(samples, "broadcastd_broadcasts_planned_total", commune=commune.id) == 1
    assert plays == len(commune.clusters)
    assert value(
        samples, "broadcastd_commands_sent_total",
        commune=commune.id, kind="play", outcome="published",
    ) == plays
    for state, count in stored.items():
        assert value(samples, "broadcastd_acks_stored_total", state=state) == count, state
    assert value(samples, "broadcastd_messages_rejected_total", reason="malformed") == 2
    assert value(samples, "broadcastd_messages_rejected_total", reason="bad_version") == 1
    assert value(samples, "broadcastd_messages_rejected_total", reason="unknown_cluster") == 1
    assert value(samples, "broadcastd_messages_rejected_total", reason="unknown_broadcast") == 1
    assert started <= value(samples, "broadcastd_last_reload_success_timestamp_seconds")
    assert value(samples, "broadcastd_clusters_online", commune=commune.id) == 0  # fleet gone
    assert value(samples, "broadcastd_db_writer_queue_length") == 0

    text = httpx.get(f"{daemon_site.base_url}/metrics", timeout=5).text
    print("\n" + "\n".join(
        line for line in text.splitlines()
        if line.startswith(EXCERPT) and not line.startswith("broadcastd_dispatch_lag_seconds_b")
        and "_created" not in line and "commit_latency_seconds_bucket" not in line
    ))
