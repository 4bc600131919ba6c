"""Announcements for real: the daemon as a subprocess, Mosquitto, SQLite and the
simulated fleet of 22 clusters (speaker contract 1.1, rule 3: preemption by the clock)."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

import httpx
import pytest

from broadcastd.contract import Ack, PlayCommand, StopCommand
from broadcastd.simulate.record import ClusterRecord

from .conftest import MakeFleet
from .site import CLUSTERS, Site, Slot, cluster_names, timetable

pytestmark = pytest.mark.integration

T = TypeVar("T")
KHU_7 = ["loa-13", "loa-14"]
SLOT_PLAYLIST: list[dict[str, Any]] = [
    {"audio": "nhac-hieu"},
    {"audio": "ban-tin-sang"},
    {"stream": "http://127.0.0.1:9/relay", "duration_s": 24, "title": "Tiếp sóng huyện"},
]


def announce(site: Site, token: str | None, lang: str = "en", **body: Any) -> httpx.Response:
    """POST /announcements, its refusals asked in English (`lang="vi"`: Vietnamese)."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    request = {"commune": site.commune, "items": [{"audio": "ban-tin-sang"}], **body}
    return httpx.post(f"{site.base_url}/announcements", json=request, headers=headers,
                      params={"lang": lang}, timeout=10)


def stop(site: Site, token: str, broadcast_id: str, **body: Any) -> httpx.Response:
    return httpx.post(
        f"{site.base_url}/broadcasts/{broadcast_id}/stop",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )


def acks(fleet: Any, name: str, broadcast_id: str) -> list[Ack]:
    record: ClusterRecord = fleet.snapshot(name)
    return record.acks_for(broadcast_id)


def wait_acks(fleet: Any, names: list[str], broadcast_id: str, state: str, detail: str = "",
              timeout: float = 60) -> bool:
    wanted = set(names)

    def done(view: Any) -> bool:
        return all(
            any(a.state == state and (not detail or a.detail == detail)
                for a in rec.acks_for(broadcast_id))
            for rec in view.values()
            if rec.cluster in wanted
        )

    return bool(fleet.wait_for(done, timeout=timeout))


def shown_states(site: Site, broadcast_id: str, wanted: dict[str, str]) -> dict[str, str]:
    """The clusters' states the daemon shows, once they are `wanted` (acks are stored
    a moment after the fleet sends them), or as they are after 20 s."""
    deadline = time.monotonic() + 20
    while True:
        shown = site.get(f"/broadcasts/{broadcast_id}")
        states = {c["cluster"]: c["state"] for c in shown["clusters"]}
        if states == wanted or time.monotonic() > deadline:
            return states
        time.sleep(0.2)


def eventually(read: Callable[[], T], ok: Callable[[T], bool], timeout: float = 20) -> T:
    """What `read` gives once `ok`, or after `timeout` (then the caller's assert says why)."""
    deadline = time.monotonic() + timeout
    value = read()
    while not ok(value) and time.monotonic() < deadline:
        time.sleep(0.2)
        value = read()
    return value


def item_at(play: PlayCommand, moment: datetime) -> int:
    """Which item of a play the clock says is due at `moment` (rule 3)."""
    offset = (moment - play.start).total_seconds()
    for position, item in enumerate(play.items):
        if offset < item.duration_s:
            return position
        offset -= item.duration_s
    return len(play.items) - 1


def test_an_emergency_takes_its_area_at_its_start_and_the_slot_resumes(
    site: Site, make_fleet: MakeFleet
) -> None:
    slot = Slot.ahead(site.commune, seconds=5, length_s=30)
    site.write(timetable(slot, SLOT_PLAYLIST))
    operator = site.token("duty-officer", "operator")
    fleet = make_fleet(speed=1.0)
    assert fleet.wait_online(timeout=15)
    site.start()
    assert wait_acks(fleet, cluster_names(), slot.broadcast_id, "playing"), site.log()

    answer = announce(
        site, operator, target={"areas": ["khu-7"]}, priority="emergency",
        title="Cảnh báo lũ", reason="nước lên nhanh",
    )
    assert answer.status_code == 201, answer.text
    made = answer.json()
    bid = made["broadcast_id"]
    start, end = datetime.fromisoformat(made["start"]), datetime.fromisoformat(made["end"])
    assert bid.startswith(f"{site.commune}/announce-") and bid.endswith(start.date().isoformat())
    assert sorted(made["clusters"]) == KHU_7
    assert start > datetime.now(UTC)
    listed = site.get("/schedule", hours=1)["occurrences"]
    assert bid in {o["broadcast_id"] for o in listed}

    assert wait_acks(fleet, KHU_7, slot.broadcast_id, "playing", "resumed"), site.log()
    for name in KHU_7:
        record = fleet.snapshot(name)
        # Sent at once, not at the lead time before its start.
        first = min(c.received_at for c in record.commands
                    if isinstance(c.command, PlayCommand) and c.command.broadcast_id == bid)
        assert first < start - timedelta(seconds=site.lead_time_s)
        play = record.plays(bid)[0]
        assert (play.priority, play.volume) == (100, 100)
        slot_acks = acks(fleet, name, slot.broadcast_id)
        suspended = [a for a in slot_acks if a.state == "suspended"]
        assert len(suspended) == 1 and suspended[0].detail == bid
        assert suspended[0].at >= start  # taken at its start, not on receipt
        playing = [a for a in acks(fleet, name, bid) if a.state == "playing"]
        assert playing and playing[0].at >= start
        resumed = next(a for a in slot_acks if a.detail == "resumed")
        assert resumed.state == "playing" and resumed.at >= end
        slot_play = record.plays(slot.broadcast_id)[0]
        assert resumed.item == item_at(slot_play, resumed.at)
        assert record.starts[slot.broadcast_id] == 1
    for name in cluster_names():
        if name in KHU_7:
            continue
        record = fleet.snapshot(name)
        assert not record.plays(bid), f"{name} got the announcement"
        assert "suspended" not in record.states(slot.broadcast_id), name
        assert not any(isinstance(c.command, StopCommand) for c in record.commands), name

    shown = site.get(f"/broadcasts/{bid}")
    assert sorted(c["cluster"] for c in shown["clusters"]) == KHU_7
    assert (shown["priority"], shown["title"]) == (100, "Cảnh báo lũ")
    assert [(c["by"], c["action"], c["reason"]) for c in shown["changes"]] == [
        ("duty-officer", "announce", "nước lên nhanh")
    ]
    slot_shown = eventually(
        lambda: site.get(f"/broadcasts/{slot.broadcast_id}"),
        lambda shown: sum(e["detail"] == "resumed" for e in shown["ack_events"]) >= 2,
    )
    suspended_in_db = {e["cluster"] for e in slot_shown["ack_events"] if e["state"] == "suspended"}
    assert suspended_in_db == set(KHU_7)
    resumed_in_db = {e["cluster"] for e in slot_shown["ack_events"] if e["detail"] == "resumed"}
    assert resumed_in_db == set(KHU_7)


def test_refusals_send_nothing_and_a_partial_stop_stops_only_the_named_clusters(
    site: Site, make_fleet: MakeFleet
) -> None:
    slot = Slot.ahead(site.commune, seconds=600, length_s=60)
    site.write(timetable(slot, SLOT_PLAYLIST))
    operator = site.token("duty-officer", "operator")
    viewer = site.token("district-viewer", "viewer")
    fleet = make_fleet(speed=1.0)
    assert fleet.wait_online(timeout=15)
    site.start()

    assert announce(site, None).status_code == 401
    assert announce(site, viewer).status_code == 403
    past = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()
    refused = announce(site, operator, start=past)
    assert refused.status_code == 422 and "already past" in refused.json()["detail"]
    refused = announce(site, operator, target={"areas": ["khu-99"]})
    assert refused.status_code == 422
    assert "khu-99" in refused.json()["detail"] and "khu-7" in refused.json()["detail"]
    said = announce(site, operator, lang="vi", target={"areas": ["khu-99"]})
    assert said.status_code == 422
    assert said.json()["detail"].startswith(f"xã {site.commune} không có khu khu-99. Cách sửa: ")
    refused = announce(site, operator, items=[{"audio": "khong-co"}])
    assert refused.status_code == 422 and "broadcastd audio list" in refused.json()["detail"]
    refused = announce(site, operator, start="now", end="00:00:00")
    assert refused.status_code == 422
    refused = announce(site, operator, items=[{"stream": "http://127.0.0.1:9/x"}])
    assert refused.status_code == 422 and "duration_s" in refused.json()["detail"]
    assert not any(fleet.snapshot(name).commands for name in cluster_names())

    areas = ["khu-1", "khu-2"]  # loa-01 .. loa-04
    made = announce(site, operator, target={"areas": areas}, duration_s=30).json()
    bid, names = made["broadcast_id"], made["clusters"]
    assert names == ["loa-01", "loa-02", "loa-03", "loa-04"]
    assert wait_acks(fleet, names, bid, "playing"), site.log()

    assert stop(site, viewer, bid, clusters=["loa-01"]).status_code == 403
    assert stop(site, operator, bid, clusters=["loa-09"]).status_code == 422
    stopped = stop(site, operator, bid, clusters=["loa-01"], reason="loa hỏng")
    assert stopped.status_code == 200, stopped.text
    assert stopped.json()["stopped"] == ["loa-01"]
    assert wait_acks(fleet, ["loa-01"], bid, "stopped")
    for name in names[1:]:
        record = fleet.snapshot(name)
        assert not any(isinstance(c.command, StopCommand) for c in record.commands), name
        assert record.states(bid)[-1] == "playing"
    wanted = {"loa-01": "stopped", "loa-02": "playing", "loa-03": "playing", "loa-04": "playing"}
    assert shown_states(site, bid, wanted) == wanted
    shown = site.get(f"/broadcasts/{bid}")
    assert ("stop", "duty-officer") in {(c["action"], c["by"]) for c in shown["changes"]}
    assert any("loa-01" in (c["reason"] or "") for c in shown["changes"] if c["action"] == "stop")

    assert stop(site, operator, bid, reason="xong").status_code == 200  # all: a cancel
    assert wait_acks(fleet, names[1:], bid, "stopped")
    assert eventually(lambda: site.get(f"/broadcasts/{bid}"), lambda b: b["cancelled"])["cancelled"]


def test_an_announcement_survives_a_restart_and_a_timetable_reload(
    site: Site, make_fleet: MakeFleet
) -> None:
    slot = Slot.ahead(site.commune, seconds=600, length_s=60)
    site.write(timetable(slot, SLOT_PLAYLIST))
    operator = site.token("duty-officer", "operator")
    fleet = make_fleet(speed=1.0)
    assert fleet.wait_online(timeout=15)
    site.start()
    relay = [{"stream": "http://127.0.0.1:9/relay"}]  # plays to the end of the window
    made = announce(
        site, operator, target={"clusters": ["loa-05"]}, duration_s=40, items=relay
    ).json()
    bid = made["broadcast_id"]
    assert wait_acks(fleet, ["loa-05"], bid, "playing"), site.log()

    assert site.stop() == 0
    site.start()
    # Sent again under the same id with its original times; played once.
    assert fleet.wait_for(lambda view: len(fleet.snapshot("loa-05").plays(bid)) >= 2, 30)
    plays = fleet.snapshot("loa-05").plays(bid)
    assert {(p.start, p.end) for p in plays} == {
        (datetime.fromisoformat(made["start"]), datetime.fromisoformat(made["end"]))
    }
    assert fleet.snapshot("loa-05").starts[bid] == 1
    assert any(o["broadcast_id"] == bid for o in site.get("/schedule", hours=1)["occurrences"])

    edited = timetable(slot, SLOT_PLAYLIST)
    edited["slots"][0]["volume"] = 60
    site.write(edited)
    before = len(fleet.snapshot("loa-05").commands)
    assert fleet.wait_for(lambda view: "timetables reloaded" in site.log(), 20)
    record = fleet.snapshot("loa-05")
    assert not any(isinstance(c.command, StopCommand) for c in record.commands[before:])
    assert record.states(bid)[-1] == "playing"
    assert not site.get(f"/broadcasts/{bid}")["cancelled"]


def test_the_cli_announces_prints_the_id_and_follows_it(
    site: Site, make_fleet: MakeFleet, tmp_path: Path
) -> None:
    slot = Slot.ahead(site.commune, seconds=600, length_s=60)
    site.write(timetable(slot, SLOT_PLAYLIST))
    token_file = tmp_path / "token"
    token_file.write_text(site.token("duty-officer", "operator"), encoding="utf-8")
    fleet = make_fleet(speed=1.0)
    assert fleet.wait_online(timeout=15)
    site.start()
    command = [sys.executable, "-m", "broadcastd", "--lang", "en", "announce",
               "--config", str(site.config),
               "--commune", site.commune, "--areas", "khu-8,khu-9", "--audio", "nhac-hieu",
               "--priority", "emergency", "--now", "--reason", "thử"]

    refused = subprocess.run(command, capture_output=True, text=True, timeout=60,
                             env={"PATH": "/usr/bin:/bin"}, check=False)
    assert refused.returncode == 1
    assert "needs an operator token" in refused.stderr

    done = subprocess.run([*command, "--token-file", str(token_file)], capture_output=True,
                          text=True, timeout=90, check=False)
    assert done.returncode == 0, done.stderr + site.log()
    lines = done.stdout.splitlines()
    bid = lines[0]
    assert bid.startswith(f"{site.commune}/announce-")
    assert any("playing 2" in line for line in lines), done.stdout
    assert lines[-1] == "ended"
    names = ["loa-15", "loa-16"]
    assert all(fleet.snapshot(name).has_ack(bid, "finished") for name in names)
    assert len([n for n in cluster_names() if fleet.snapshot(n).plays(bid)]) == 2 < CLUSTERS
