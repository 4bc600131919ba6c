"""What district staff and monitoring read over HTTP, from a real server."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import httpx

from broadcastd.api import HealthReport, OccurrenceView
from broadcastd.contract import Ack
from broadcastd.store import Store

from .fakes import (
    EVENING_BEFORE,
    KHAI_MORNING,
    MORNING,
    MORNING_ID,
    MORNING_START,
    Clock,
    FakeDaemon,
)

MAN_LAN_CLUSTERS = ["coc-1", "coc-2", "na-hu-1"]


def ack(
    cluster: str,
    state: str,
    seconds: int,
    item: int | None = None,
    detail: str = "",
    broadcast_id: str = MORNING_ID,
    store: Store | None = None,
) -> None:
    assert store is not None
    at = MORNING_START + timedelta(seconds=seconds)
    store.record_ack("man-lan", cluster, Ack(broadcast_id, state, at, item, detail), at)


def morning_with_acks(store: Store) -> None:
    store.record_broadcast(EVENING_BEFORE, MAN_LAN_CLUSTERS)
    store.record_broadcast(MORNING, MAN_LAN_CLUSTERS)
    store.record_broadcast(KHAI_MORNING, ["khai-1"])
    sent = MORNING.send_at
    for cluster in MAN_LAN_CLUSTERS:
        store.record_send(MORNING_ID, cluster, "play", "published", sent)
    store.record_publish_confirmed(MORNING_ID, "coc-1", sent + timedelta(seconds=1))
    ack("coc-1", "received", -100, store=store)
    ack("coc-1", "playing", 0, item=0, store=store)
    ack("coc-1", "playing", 300, item=1, store=store)
    ack("coc-2", "failed", -90, detail="checksum", store=store)
    ack("coc-1", "finished", 3000, broadcast_id=EVENING_BEFORE.broadcast_id, store=store)
    store.record_presence("man-lan", "coc-1", True, "2.1.0", 80, sent)
    store.record_presence("man-lan", "coc-2", True, "2.0.9", 70, sent)
    store.record_presence("man-lan", "coc-2", False, None, None, sent + timedelta(minutes=5))
    store.count_rejected("malformed", "broadcast/man-lan/coc-1/ack", b"{oops", sent)
    assert store.flush()


def test_healthz_is_ok_when_scheduler_broker_and_database_work(http: httpx.Client) -> None:
    response = http.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["reasons"] == []
    assert {name: check["ok"] for name, check in body["checks"].items()} == {
        "scheduler": True,
        "broker": True,
        "database": True,
        "timetables": True,
    }


def test_healthz_gives_503_with_every_reason(
    http: httpx.Client, daemon: FakeDaemon, store: Store
) -> None:
    daemon.report = HealthReport(
        scheduler_running=False,
        broker_connected=False,
        timetables_ok=False,
        problems=["man-lan.yaml line 4: bad key"],
    )
    store.stop()
    response = http.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unhealthy"
    assert body["reasons"] == [
        "scheduler is not running",
        "not connected to the MQTT broker",
        "database writer thread is not running",
    ]
    assert body["problems"] == ["man-lan.yaml line 4: bad key"]
    assert body["checks"]["timetables"]["ok"] is False


def test_status_sums_up_every_commune_without_its_clusters(
    http: httpx.Client, store: Store
) -> None:
    morning_with_acks(store)
    body = http.get("/status").json()
    assert body["generated_at"] == "2026-11-29T05:40:00+07:00"
    man_lan, khai_xuan = body["communes"]
    assert (man_lan["name"], khai_xuan["name"]) == ("Mạn Lạn", "Khải Xuân")
    assert man_lan["clusters"] is None and man_lan["owner"] is None
    assert man_lan["counts"] == {
        "clusters": 3,
        "online": 1,
        "offline": 2,
        "last_broadcast_states": {"failed": 1, "pending": 1, "playing": 1},
    }
    assert man_lan["attention"] == 2  # coc-2 failed and offline, na-hu-1 never seen
    last = man_lan["last_broadcast"]
    assert (last["broadcast_id"], last["phase"], last["clusters"]) == (MORNING_ID, "live", 3)
    assert last["states"] == {"failed": 1, "pending": 1, "playing": 1}
    assert last["outcomes"] == {}  # still on
    assert [(r["reason"], r["count"]) for r in body["rejected"]] == [("malformed", 1)]


def test_status_puts_communes_that_need_a_look_first(http: httpx.Client, store: Store) -> None:
    at = MORNING.send_at
    for cluster in MAN_LAN_CLUSTERS:
        store.record_presence("man-lan", cluster, True, "2.1.0", 80, at)
    assert store.flush()
    communes = http.get("/status").json()["communes"]
    assert [(c["commune"], c["attention"]) for c in communes] == [("khai-xuan", 1), ("man-lan", 0)]


def test_status_of_one_commune_pages_its_clusters(http: httpx.Client, store: Store) -> None:
    morning_with_acks(store)
    (second,) = http.get("/status", params={"commune": "man-lan", "limit": 2, "page": 2}).json()[
        "communes"]
    assert [c["cluster"] for c in second["clusters"]] == ["na-hu-1"]
    assert second["cluster_page"] == {"page": 2, "limit": 2, "total": 3, "pages": 2}
    assert http.get("/status", params={"commune": "nowhere"}).status_code == 404


def test_status_shows_a_change_at_the_next_request(http: httpx.Client, store: Store) -> None:
    def online() -> int:
        count: int = http.get("/status").json()["communes"][0]["counts"]["online"]
        return count

    assert online() == 0
    store.record_presence("man-lan", "coc-1", True, "2.1.0", 80, MORNING.send_at)
    assert store.flush()
    assert online() == 1


def test_status_of_one_commune_lists_every_cluster_with_presence_and_last_broadcast(
    http: httpx.Client, store: Store
) -> None:
    morning_with_acks(store)
    body = http.get("/status", params={"commune": "man-lan"}).json()
    (man_lan,) = body["communes"]
    clusters = {c["cluster"]: c for c in man_lan["clusters"]}
    assert list(clusters) == MAN_LAN_CLUSTERS

    coc1 = clusters["coc-1"]
    assert (coc1["area"], coc1["online"], coc1["firmware"]) == ("ban-coc", True, "2.1.0")
    assert coc1["last_seen"] == "2026-11-29T05:28:00+07:00"
    last = coc1["last_broadcast"]
    assert (last["broadcast_id"], last["state"], last["item"]) == (MORNING_ID, "playing", 1)
    assert last["start"] == "2026-11-29T05:30:00+07:00" and last["sends"] == 1

    coc2 = clusters["coc-2"]  # its Last Will came: offline, firmware still known
    assert (coc2["online"], coc2["firmware"]) == (False, "2.0.9")
    assert (coc2["last_broadcast"]["state"], coc2["last_broadcast"]["detail"]) == (
        "failed",
        "checksum",
    )

    silent = clusters["na-hu-1"]  # never said anything
    assert (silent["online"], silent["last_seen"]) == (False, None)
    assert silent["last_broadcast"]["state"] == "pending"

    assert man_lan["counts"] == {
        "clusters": 3,
        "online": 1,
        "offline": 2,
        "last_broadcast_states": {"failed": 1, "pending": 1, "playing": 1},
    }
    assert [(r["reason"], r["count"], r["last_sample"]) for r in body["rejected"]] == [
        ("malformed", 1, "{oops")
    ]


def test_status_before_any_broadcast_shows_none(http: httpx.Client) -> None:
    man_lan = http.get("/status", params={"commune": "man-lan"}).json()["communes"][0]
    assert [c["last_broadcast"] for c in man_lan["clusters"]] == [None, None, None]
    assert man_lan["counts"]["last_broadcast_states"] == {"none": 3}


def test_broadcasts_show_local_times_phase_and_per_cluster_states(
    http: httpx.Client, store: Store
) -> None:
    morning_with_acks(store)
    body = http.get("/broadcasts", params={"commune": "man-lan"}).json()
    assert body["count"] == 2
    morning, evening = body["broadcasts"]
    assert (morning["broadcast_id"], evening["broadcast_id"]) == (
        MORNING_ID,
        "man-lan/evening/2026-11-28",
    )
    assert (morning["phase"], evening["phase"]) == ("live", "ended")
    assert morning["start"] == "2026-11-29T05:30:00+07:00"
    assert morning["end"] == "2026-11-29T06:00:00+07:00"
    assert morning["title"] == "Bản tin sáng" and morning["cancelled"] is False
    assert morning["counts"] == {"pending": 1, "playing": 1, "failed": 1}
    coc1 = morning["clusters"][0]
    assert coc1 == {
        "cluster": "coc-1",
        "area": "ban-coc",
        "state": "playing",
        "state_at": "2026-11-29T05:35:00+07:00",
        "item": 1,
        "detail": "",
        "sends": 1,
        "first_sent_at": "2026-11-29T05:28:00+07:00",
        "last_sent_at": "2026-11-29T05:28:00+07:00",
        "last_send_outcome": "published",
        "published_at": "2026-11-29T05:28:01+07:00",
        "outcome": None,  # live: no outcome yet
        "outcome_detail": None,
    }


def test_broadcasts_filter_by_date_and_state(http: httpx.Client, store: Store) -> None:
    morning_with_acks(store)

    def ids(**params: str) -> list[str]:
        response = http.get("/broadcasts", params=params)
        assert response.status_code == 200, response.text
        return [b["broadcast_id"] for b in response.json()["broadcasts"]]

    assert ids(date="2026-11-28") == ["man-lan/evening/2026-11-28"]
    assert ids(date="2026-11-29") == ["khai-xuan/morning/2026-11-29", MORNING_ID]  # by start, id
    assert ids(state="finished") == ["man-lan/evening/2026-11-28"]
    assert ids(state="failed", commune="man-lan") == [MORNING_ID]
    assert ids(state="pending", commune="khai-xuan") == ["khai-xuan/morning/2026-11-29"]
    assert ids(limit="1", commune="man-lan") == [MORNING_ID]
    assert http.get("/broadcasts", params={"date": "29/11/2026"}).status_code == 422
    assert http.get("/broadcasts", params={"state": "played"}).status_code == 422


def test_one_broadcast_by_its_slashed_id_with_its_ack_events(
    http: httpx.Client, store: Store, clock: Clock
) -> None:
    morning_with_acks(store)
    clock.now = MORNING_START - timedelta(hours=1)
    body = http.get(f"/broadcasts/{MORNING_ID}").json()
    assert body["broadcast_id"] == MORNING_ID and body["phase"] == "scheduled"
    events = [(e["cluster"], e["state"], e["item"], e["detail"]) for e in body["ack_events"]]
    assert events == [
        ("coc-1", "received", None, ""),
        ("coc-2", "failed", None, "checksum"),
        ("coc-1", "playing", 0, ""),
        ("coc-1", "playing", 1, ""),
    ]
    assert body["ack_events"][0]["cluster_at"] == "2026-11-29T05:28:20+07:00"

    missing = http.get("/broadcasts/man-lan/morning/2026-11-30")
    assert missing.status_code == 404
    assert "man-lan/morning/2026-11-30" in missing.json()["detail"]


def test_cancel_goes_to_the_daemon(http: httpx.Client, store: Store, daemon: FakeDaemon) -> None:
    morning_with_acks(store)
    daemon.cancellable.add(MORNING_ID)
    response = http.post(f"/broadcasts/{MORNING_ID}/cancel")
    assert response.status_code == 200 and response.json()["cancelled"] is True
    assert daemon.cancelled == [MORNING_ID]

    again = http.post(f"/broadcasts/{MORNING_ID}/cancel")
    assert again.status_code == 409 and "already" in again.json()["detail"]
    unknown = http.post("/broadcasts/man-lan/noon/2026-11-29/cancel")
    assert unknown.status_code == 404 and "man-lan/noon/2026-11-29" in unknown.json()["detail"]


def test_schedule_shows_the_next_hours_in_commune_time(
    http: httpx.Client, daemon: FakeDaemon
) -> None:
    evening = MORNING_START.replace(hour=17, minute=0)
    daemon.plan = [
        OccurrenceView(
            MORNING_ID,
            "man-lan",
            "morning",
            "Bản tin sáng",
            MORNING_START,
            MORNING_START + timedelta(minutes=30),
            ["coc-1", "coc-2"],
            0,
            80,
            ["ban-tin-sang.mp3"],
        ),
        OccurrenceView(
            "man-lan/evening/2026-11-29",
            "man-lan",
            "evening",
            "Tiếp sóng huyện",
            evening,
            evening + timedelta(minutes=75),
            ["coc-1"],
            10,
            90,
            ["http://radio.example/live"],
        ),
    ]
    body = http.get("/schedule", params={"hours": 12}).json()
    assert daemon.asked_hours == [12]
    assert [(o["broadcast_id"], o["phase"], o["start"]) for o in body["occurrences"]] == [
        (MORNING_ID, "live", "2026-11-29T05:30:00+07:00"),
        ("man-lan/evening/2026-11-29", "scheduled", "2026-11-29T17:00:00+07:00"),
    ]
    assert body["occurrences"][1]["items"] == ["http://radio.example/live"]
    assert http.get("/schedule").json()["hours"] == 24
    assert http.get("/schedule", params={"hours": 0}).status_code == 422


def test_docs_and_audio_are_served(http: httpx.Client) -> None:
    assert http.get("/docs").status_code == 200
    schema = http.get("/openapi.json").json()
    assert {
        "/healthz",
        "/status",
        "/broadcasts",
        "/broadcasts/{broadcast_id}",
        "/schedule",
        "/broadcasts/{broadcast_id}/cancel",
        "/audio/{name}",
    } <= set(schema["paths"])
    cluster = schema["components"]["schemas"]["ClusterStatus"]["properties"]
    assert "Last Will" in cluster["online"]["description"]
    assert http.get("/audio/ban-tin.mp3").json() == {"file": "ban-tin.mp3"}


def test_healthz_says_timetable_problems_in_the_language_each_request_asks_for(
    http: httpx.Client, daemon: FakeDaemon, tmp_path: Path
) -> None:
    from broadcastd.timetable.loader import load_timetables

    broken = tmp_path / "man-lan.yaml"
    broken.write_text("commune:\n  id: man-lan\n  name: Mạn Lạn\n  timezon: x\n", "utf-8")
    found = load_timetables([broken], None)
    daemon.report = HealthReport(
        scheduler_running=True, broker_connected=True, timetables_ok=False,
        problems=[str(problem) for problem in found.problems],  # as the daemon keeps them
    )
    english = f"{broken}:4: commune -> timezon: unknown key `timezon` (did you mean `timezone`?)"
    vietnamese = f"{broken}:4: commune -> timezon: không có mục `timezon` (có phải là `timezone`?)"
    asked = {
        "": vietnamese,
        "?lang=en": english,
        "?lang=vi": vietnamese,
    }
    for query, start in asked.items():
        problems = http.get(f"/healthz{query}").json()["problems"]
        assert problems[-1].startswith(start), (query, problems)
    for header, start in (("en-US,en;q=0.9", english), ("vi-VN", vietnamese), ("fr", vietnamese)):
        problems = http.get("/healthz", headers={"Accept-Language": header}).json()["problems"]
        assert problems[-1].startswith(start), (header, problems)
    assert http.get("/status?lang=en").json()["problems"][-1].startswith(english)
