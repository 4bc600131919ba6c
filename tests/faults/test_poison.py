"""Poison messages no longer stop ack intake (issue 8, defect 1).

Before: about 20 messages whose JSON is ~1,000 levels deep, or a `state` whose volume
or firmware the database cannot take, were never acknowledged to the broker; they
filled Mosquitto's 20 in-flight slots for the daemon, and no valid ack was delivered
again, even after a restart. Now every message ends stored, or refused and counted by
reason, and is acknowledged either way.
"""

from __future__ import annotations

from datetime import UTC, datetime

import httpx
import pytest

from broadcastd.contract import Ack
from broadcastd.contract.topics import TopicKind
from tests.integration.site import Site
from tests.service.harness import Commune, acks, eventually, scrape, value

from .broker import Mosquitto
from .clusters import ClusterSide, refused_in_database, stored_acks
from .poison import poison

pytestmark = pytest.mark.integration

EACH = 25  # of every kind: more than Mosquitto's 20 in-flight messages per client
VALID = 40


def test_poison_messages_are_refused_counted_and_acknowledged(
    site: Site, broker: Mosquitto, commune: Commune
) -> None:
    window = commune.window(1, 300)
    bid = commune.broadcast_id("morning", window)
    site.write(commune.timetable({"morning": window}))
    site.start()
    assert eventually(lambda: _exists(site, bid))

    kinds = poison(bid)
    clusters = ClusterSide(broker.port)
    try:
        for n in range(EACH):
            for _name, kind, payload, _reason in kinds:
                cluster = commune.clusters[n % len(commune.clusters)]
                clusters.publish(commune.topic(site.prefix, cluster, kind), payload)
        valid = list(acks(commune, bid, VALID))
        for cluster, ack in valid:
            clusters.publish(commune.topic(site.prefix, cluster, TopicKind.ACK), ack.to_payload())
        assert clusters.wait_confirmed() == len(clusters.sent)
    finally:
        clusters.close()

    expected = {(bid, cluster, "playing", ack.item or 0) for cluster, ack in valid}
    assert eventually(lambda: stored_acks(site.database) == expected, timeout_s=20), site.log()
    by_reason: dict[str, int] = {}
    for _name, _kind, _payload, reason in kinds:
        by_reason[reason] = by_reason.get(reason, 0) + EACH
    assert eventually(lambda: refused_in_database(site.database) == by_reason), (
        refused_in_database(site.database)
    )
    samples = scrape(site.base_url)
    for reason, count in by_reason.items():
        assert value(samples, "broadcastd_messages_rejected_total", reason=reason) == count
    assert httpx.get(f"{site.base_url}/healthz", timeout=5).status_code == 200

    # Every one was acknowledged to the broker: after a restart none comes back. (The
    # broker delivers what it kept for the daemon's session before a new message.)
    assert site.stop() == 0
    site.start()
    clusters = ClusterSide(broker.port)
    try:
        last = Ack(bid, "finished", datetime.now(UTC))
        cluster = commune.clusters[0]
        clusters.publish(commune.topic(site.prefix, cluster, TopicKind.ACK), last.to_payload())
        expected.add((bid, cluster, "finished", -1))
        assert eventually(lambda: stored_acks(site.database) == expected), site.log()
    finally:
        clusters.close()
    assert refused_in_database(site.database) == by_reason


def _exists(site: Site, bid: str) -> bool:
    return httpx.get(f"{site.base_url}/broadcasts/{bid}", timeout=5).status_code == 200
