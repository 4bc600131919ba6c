"""After a broadcast's end, what each cluster did, as district staff read it over HTTP."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import httpx

from broadcastd.api import OccurrenceView
from broadcastd.contract import Ack
from broadcastd.store import Store

from .fakes import MORNING, MORNING_ID, MORNING_START, Clock, FakeDaemon

CLUSTERS = ["coc-1", "coc-2", "na-hu-1"]
END = MORNING_START + timedelta(minutes=30)


def acked(store: Store, cluster: str, state: str, seconds: float, item: int | None = None,
          detail: str = "") -> None:
    at = MORNING_START + timedelta(seconds=seconds)
    store.record_ack("man-lan", cluster, Ack(MORNING_ID, state, at, item, detail), at)


def morning_played(store: Store) -> None:
    """Two items (5 min, 20 min): coc-1 plays both, coc-2 fails, na-hu-1 stays silent."""
    store.record_broadcast(replace(MORNING, item_durations=(300.0, 1200.0)), CLUSTERS)
    acked(store, "coc-1", "received", -100)
    acked(store, "coc-1", "playing", 0, item=0)
    acked(store, "coc-1", "playing", 300, item=1)
    acked(store, "coc-1", "finished", 1500)
    acked(store, "coc-2", "failed", -90, detail="checksum")
    assert store.flush()


def test_after_the_end_every_cluster_shows_its_outcome(
    http: httpx.Client, store: Store, clock: Clock
) -> None:
    morning_played(store)
    assert http.get(f"/broadcasts/{MORNING_ID}").json()["outcomes"] == {}  # 05:40: live

    clock.now = END + timedelta(seconds=1)
    body = http.get(f"/broadcasts/{MORNING_ID}").json()
    shown = {c["cluster"]: (c["outcome"], c["outcome_detail"]) for c in body["clusters"]}
    assert shown == {
        "coc-1": ("played", ""),
        "coc-2": ("failed", "checksum"),
        "na-hu-1": ("missed", "never acked"),
    }
    assert body["outcomes"] == {"played": 1, "missed": 1, "failed": 1}
    listed = http.get("/broadcasts", params={"commune": "man-lan"}).json()["broadcasts"]
    assert listed[0]["outcomes"] == body["outcomes"]

    man_lan = http.get("/status", params={"commune": "man-lan"}).json()["communes"][0]
    last = {c["cluster"]: c["last_broadcast"] for c in man_lan["clusters"]}
    assert last["na-hu-1"]["outcome"] == "missed"  # never `pending` after the end
    assert man_lan["counts"]["last_broadcast_states"] == {"failed": 1, "missed": 1, "played": 1}
    summed = http.get("/status").json()["communes"][0]["last_broadcast"]
    assert (summed["phase"], summed["outcomes"]) == ("ended", body["outcomes"])


def test_a_cancelled_broadcast_is_cancelled_for_every_cluster(
    http: httpx.Client, store: Store
) -> None:
    morning_played(store)
    store.cancel_broadcast(MORNING_ID, MORNING_START + timedelta(minutes=8), by="test")
    assert store.flush()
    body = http.get(f"/broadcasts/{MORNING_ID}").json()  # 05:40, before the end
    assert body["outcomes"] == {"cancelled": 2, "failed": 1}


def test_the_schedule_shows_a_cancelled_occurrence_as_cancelled(
    http: httpx.Client, store: Store, daemon: FakeDaemon
) -> None:
    daemon.plan = [
        OccurrenceView(MORNING_ID, "man-lan", "morning", "Bản tin sáng", MORNING_START,
                       END, CLUSTERS, 0, 80, ["ban-tin-sang"]),
    ]
    assert [o["cancelled"] for o in http.get("/schedule").json()["occurrences"]] == [False]
    store.record_broadcast(MORNING, CLUSTERS)
    store.cancel_broadcast(MORNING_ID, MORNING_START, by="test")
    assert store.flush()
    (shown,) = http.get("/schedule").json()["occurrences"]
    assert (shown["broadcast_id"], shown["cancelled"]) == (MORNING_ID, True)
