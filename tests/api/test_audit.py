"""GET /broadcasts/{id} shows who changed a broadcast, when and why."""

from __future__ import annotations

import httpx

from broadcastd.store import Store

from .fakes import KHAI_MORNING, MORNING, MORNING_ID, Clock, FakeDaemon


def test_a_cancel_shows_who_when_and_why(
    http: httpx.Client, store: Store, daemon: FakeDaemon, clock: Clock
) -> None:
    daemon.store, daemon.clock = store, clock
    store.record_broadcast(MORNING, ["coc-1"])
    assert store.flush()
    daemon.cancellable.add(MORNING_ID)
    before = http.get(f"/broadcasts/{MORNING_ID}").json()
    assert before["cancelled_by"] is None and before["cancel_reason"] is None
    assert before["changes"] == []

    answer = http.post(
        f"/broadcasts/{MORNING_ID}/cancel", json={"reason": "power cut in Bản Cóc"}
    )
    assert answer.status_code == 200, answer.text
    assert store.flush()
    detail = http.get(f"/broadcasts/{MORNING_ID}").json()
    assert detail["cancelled"] is True
    assert detail["cancelled_by"] == "test-operator"
    assert detail["cancel_reason"] == "power cut in Bản Cóc"
    assert detail["cancelled_at"] == "2026-11-29T05:40:00+07:00"
    assert detail["changes"] == [
        {
            "at": "2026-11-29T05:40:00+07:00",
            "by": "test-operator",
            "action": "cancel",
            "reason": "power cut in Bản Cóc",
        }
    ]


def test_the_reason_may_come_in_the_query_and_may_be_left_out(
    http: httpx.Client, store: Store, daemon: FakeDaemon, clock: Clock
) -> None:
    daemon.store, daemon.clock = store, clock
    store.record_broadcast(MORNING, ["coc-1"])
    store.record_broadcast(KHAI_MORNING, ["khai-1"])
    daemon.cancellable |= {MORNING_ID, KHAI_MORNING.broadcast_id}
    assert http.post(f"/broadcasts/{MORNING_ID}/cancel", params={"reason": "flood"}).is_success
    assert http.post(f"/broadcasts/{KHAI_MORNING.broadcast_id}/cancel").is_success
    assert store.flush()
    assert http.get(f"/broadcasts/{MORNING_ID}").json()["cancel_reason"] == "flood"
    khai = http.get(f"/broadcasts/{KHAI_MORNING.broadcast_id}").json()
    assert (khai["cancelled_by"], khai["cancel_reason"]) == ("test-operator", None)
    too_long = http.post(f"/broadcasts/{MORNING_ID}/cancel", json={"reason": "x" * 501})
    assert too_long.status_code == 422
