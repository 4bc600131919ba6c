"""kill -9 in the middle of a stream of acks, several times: no ack the broker
confirmed to a cluster is lost.

The daemon PUBACKs an ack only once it is committed, on a persistent session: what it
had not committed when it was killed is still the broker's, and is delivered again
after the restart (where a duplicate is stored once)."""

from __future__ import annotations

import httpx
import pytest

from tests.integration.site import Site
from tests.service.harness import Commune, eventually

from .broker import Mosquitto, RabbitMqtt
from .clusters import AckStream, ClusterSide, stored_acks

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("broker", "kills"),
    [("mosquitto", 3), ("rabbitmq", 2), pytest.param("mosquitto", 20, marks=pytest.mark.long)],
    indirect=["broker"],
)
def test_kill_9_during_a_stream_of_acks_loses_none_confirmed(
    site: Site, broker: Mosquitto | RabbitMqtt, kills: int
) -> None:
    commune = Commune.unique(clusters=8)
    window = commune.window(1, 1800)
    bid = commune.broadcast_id("morning", window)
    site.write(commune.timetable({"morning": window}))
    site.start()
    assert eventually(lambda: _exists(site, bid))

    side = ClusterSide(broker.port)
    stream = AckStream(side, commune, site.prefix, bid)
    stream.start()
    at_kill: list[int] = []
    try:
        for _ in range(kills):
            before = len(stored_acks(site.database))
            assert eventually(lambda b=before: len(stored_acks(site.database)) >= b + 200, 30), (
                site.log()
            )
            assert site.process is not None
            site.process.kill()
            site.process.wait()
            site.process = None
            at_kill.append(len(stored_acks(site.database)))
            site.start()
    finally:
        stream.stop()
        confirmed_count = side.wait_confirmed()
        side.close()

    confirmed = stream.confirmed()
    assert confirmed_count == len(stream.published)  # the broker never went away
    assert eventually(lambda: stored_acks(site.database) >= confirmed, timeout_s=60), (
        len(confirmed - stored_acks(site.database))
    )
    assert stored_acks(site.database) == stream.keys()
    assert httpx.get(f"{site.base_url}/healthz", timeout=5).status_code == 200
    print(f"\n{kills} kill -9: {len(stream.published)} acks sent, {len(confirmed)} confirmed "
          f"by the broker, all stored, 0 lost (stored at each kill: {at_kill})")


def _exists(site: Site, bid: str) -> bool:
    return httpx.get(f"{site.base_url}/broadcasts/{bid}", timeout=5).status_code == 200
