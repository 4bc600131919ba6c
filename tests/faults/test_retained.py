"""The retained `state` of a removed cluster is counted once (issue 8, defect 10).

Before: the broker sends a retained message again at every (re)subscription, so the
state a cluster left before it was removed from the timetable was refused and counted
again at every reconnect. Now it is cleared (an empty retained message) and counted
once; the clearing itself, echoed back, is not a refusal.
"""

from __future__ import annotations

import httpx
import pytest

from broadcastd.contract import Presence
from broadcastd.contract.topics import TopicKind, topic
from tests.integration.site import Site
from tests.service.harness import Commune, eventually

from .broker import Mosquitto
from .clusters import ClusterSide, refused_in_database, retained

pytestmark = pytest.mark.integration


def test_a_removed_clusters_retained_state_is_cleared_and_counted_once(
    site: Site, broker: Mosquitto, commune: Commune
) -> None:
    removed = commune.topic(site.prefix, "loa-99", TopicKind.STATE)
    other = topic(site.prefix, "xa-not-here", "loa-01", TopicKind.STATE)
    online = Presence(online=True, firmware="2.1", volume=80).to_payload()
    clusters = ClusterSide(broker.port)
    try:
        clusters.publish(removed, online, retain=True)
        clusters.publish(other, online, retain=True)
        assert clusters.wait_confirmed() == 2

        site.write(commune.timetable({"morning": commune.window(600, 300)}))
        site.start()
        assert eventually(lambda: refused_in_database(site.database) == {"unknown_cluster": 2})
        assert eventually(lambda: retained(broker.port, removed, wait_s=0.3) is None)
        # A commune this daemon does not run may be one whose timetable failed to load:
        # its clusters' presence is left with the broker.
        assert retained(broker.port, other) == online

        broker.restart()  # the daemon reconnects and subscribes again
        assert eventually(lambda: _healthy(site), timeout_s=15)
        late = commune.topic(site.prefix, "loa-98", TopicKind.STATE)
        clusters.publish(late, online, retain=True)  # arrives after the redelivered ones
        assert eventually(lambda: refused_in_database(site.database) == {"unknown_cluster": 3}), (
            refused_in_database(site.database)
        )
    finally:
        clusters.close()


def _healthy(site: Site) -> bool:
    try:
        return httpx.get(f"{site.base_url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False
