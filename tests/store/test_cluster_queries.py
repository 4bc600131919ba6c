"""The cluster page's reads: its comings and goings, and its last broadcasts."""

from __future__ import annotations

from datetime import timedelta

from broadcastd.store import Store

from .builders import CLUSTERS, SLOT_START, morning


def test_presence_history_keeps_each_flip_newest_first_not_each_message(store: Store) -> None:
    at = [SLOT_START + timedelta(minutes=m) for m in range(5)]
    store.record_presence("man-lan", "ban-coc", True, "2.1.0", 80, at[0])
    store.record_presence("man-lan", "ban-coc", True, "2.1.0", 80, at[1])  # no change
    store.record_presence("man-lan", "ban-coc", False, None, None, at[2])  # its Last Will
    store.record_presence("man-lan", "ban-coc", True, "2.2.0", 70, at[3])
    store.record_presence("man-lan", "ban-lung", True, "2.1.0", 80, at[4])  # another one
    assert store.flush()

    history = store.presence_history("man-lan", "ban-coc")
    assert [(c.online, c.at) for c in history] == [(True, at[3]), (False, at[2]), (True, at[0])]
    assert [c.online for c in store.presence_history("man-lan", "ban-coc", limit=1)] == [True]
    assert store.presence_history("khai-xuan", "ban-coc") == []


def test_a_clusters_last_broadcasts_newest_first_with_its_own_delivery(store: Store) -> None:
    for day in (27, 28, 29):
        store.record_broadcast(morning(day=day), CLUSTERS if day != 28 else CLUSTERS[:1])
    store.record_broadcast(morning("khai-xuan"), CLUSTERS)  # same cluster id, other commune
    assert store.flush()

    found = store.cluster_deliveries("man-lan", "ban-coc")
    assert [view.broadcast_id for view, _ in found] == [
        "man-lan/morning/2026-11-29", "man-lan/morning/2026-11-27",
    ]
    assert all(d.cluster == "ban-coc" and d.last_state is None for _, d in found)
    assert len(store.cluster_deliveries("man-lan", "ban-na-hu", limit=2)) == 2
