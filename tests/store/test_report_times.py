"""`delivery_times_between`: each delivery's first ack times and sends over a range, in one
query, for the plan-vs-actual report."""

from __future__ import annotations

from datetime import timedelta

from broadcastd.store import Store
from broadcastd.store.queries import DeliveryTimes

from .builders import CLUSTERS, SLOT_START, ack, morning

NA_HU, COC, LUNG = CLUSTERS
DAY = timedelta(days=1)


def test_first_received_playing_finished_and_sends_per_delivery(store: Store) -> None:
    store.record_broadcast(morning(), CLUSTERS)
    store.record_broadcast(morning(day=30), CLUSTERS)  # the next day: outside the range
    store.record_broadcast(morning("khai-xuan"), [NA_HU])  # another commune
    for _ in range(2):
        store.record_send(morning().broadcast_id, NA_HU, "play", "published", SLOT_START)
    store.record_send(morning().broadcast_id, NA_HU, "stop", "published", SLOT_START)
    store.record_ack("man-lan", NA_HU, ack("received", seconds=-60), SLOT_START)
    store.record_ack("man-lan", NA_HU, ack("playing", item=1, seconds=300), SLOT_START)
    store.record_ack("man-lan", NA_HU, ack("playing", item=0, seconds=1), SLOT_START)
    store.record_ack("man-lan", NA_HU, ack("finished", seconds=1790), SLOT_START)
    store.record_ack("man-lan", COC, ack("playing", item=0, seconds=2), SLOT_START)
    assert store.flush()

    found = store.delivery_times_between(SLOT_START - DAY / 2, SLOT_START + DAY / 2, "man-lan")

    at = SLOT_START.__add__
    assert found == {
        (morning().broadcast_id, NA_HU): DeliveryTimes(
            2, at(timedelta(seconds=-60)), at(timedelta(seconds=1)),
            at(timedelta(seconds=1790)),
        ),
        (morning().broadcast_id, COC): DeliveryTimes(0, None, at(timedelta(seconds=2)), None),
        (morning().broadcast_id, LUNG): DeliveryTimes(0, None, None, None),
    }
    assert found[(morning().broadcast_id, NA_HU)].playing.tzinfo is not None  # type: ignore[union-attr]
    every = store.delivery_times_between(SLOT_START - DAY / 2, SLOT_START + DAY * 2)
    assert len(every) == 2 * len(CLUSTERS) + 1
