"""The whole path, for real: timetable in, plays out over Mosquitto to 22 simulated
clusters, acks stored in SQLite (and, for the first test, in PostgreSQL too), and what
district staff read over HTTP."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import time
import uuid
from datetime import timedelta

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from broadcastd.contract import PlayCommand, StopCommand

from .conftest import PLAYLIST, MakeFleet
from .site import CLUSTERS, Site, Slot, cluster_names, timetable

pytestmark = pytest.mark.integration


def all_have(fleet: object, broadcast_id: str, state: str, count: int = CLUSTERS) -> bool:
    return bool(
        fleet.wait_for(  # type: ignore[attr-defined]
            lambda view: sum(rec.has_ack(broadcast_id, state) for rec in view.values()) >= count,
            timeout=60,
        )
    )


@pytest.mark.parametrize(
    ("site", "broker"),
    [("sqlite", "mosquitto"), ("postgresql", "mosquitto"), ("sqlite", "rabbitmq")],
    indirect=True,
)
def test_a_slot_reaches_every_cluster_and_the_acks_are_shown(
    site: Site, make_fleet: MakeFleet
) -> None:
    slot = Slot.ahead(site.commune, seconds=6, length_s=60)
    site.write(timetable(slot, PLAYLIST))
    fleet = make_fleet()
    assert fleet.wait_online(timeout=15)
    site.start()

    assert all_have(fleet, slot.broadcast_id, "finished"), site.log()
    for name in cluster_names():
        record = fleet.snapshot(name)
        plays = record.plays(slot.broadcast_id)
        assert plays, f"{name} got no play"
        play = plays[0]
        assert isinstance(play, PlayCommand)
        assert (play.start, play.end) == (slot.start, slot.end)
        assert play.start.utcoffset() == slot.start.utcoffset()
        assert (play.volume, play.priority) == (70, 0)
        assert [item.kind for item in play.items] == ["file", "file", "stream"]
        assert record.starts[slot.broadcast_id] == 1
        assert record.states(slot.broadcast_id)[:2] == ["received", "ready"]

    send_at = slot.start - timedelta(seconds=site.lead_time_s)
    last_play = max(fleet.snapshot(name).commands[0].received_at for name in cluster_names())
    print(f"\nsend time to the last cluster's play: {(last_play - send_at).total_seconds():.3f} s")

    # The file items point at this server, which serves exactly the bytes named.
    for item in play.items[:2]:
        body = httpx.get(item.url, timeout=5).content
        assert hashlib.sha256(body).hexdigest() == item.sha256

    time.sleep(1.0)  # the last acks' commit
    detail = site.get(f"/broadcasts/{slot.broadcast_id}")
    assert detail["counts"] == {"finished": CLUSTERS}
    assert {c["cluster"] for c in detail["clusters"]} == set(cluster_names())
    assert all(c["sends"] == 1 and c["last_send_outcome"] == "published" for c in detail["clusters"])
    listed = site.get("/broadcasts", commune=site.commune, date=slot.start.date().isoformat())
    assert [b["broadcast_id"] for b in listed["broadcasts"]] == [slot.broadcast_id]

    table = subprocess.run(
        [sys.executable, "-m", "broadcastd", "--lang", "en", "status", "--url", site.base_url],
        capture_output=True, text=True, check=True,
    ).stdout
    assert f"{CLUSTERS}/{CLUSTERS} clusters online" in table
    assert all(f"{name}  " in table for name in cluster_names())
    assert table.count("finished") == CLUSTERS

    (summed,) = site.get("/status")["communes"]
    assert summed["last_broadcast"]["states"] == {"finished": CLUSTERS}
    (commune,) = site.get("/status", commune=site.commune)["communes"]
    assert commune["counts"]["online"] == CLUSTERS
    for cluster in commune["clusters"]:
        assert cluster["online"] is True
        assert cluster["last_broadcast"]["broadcast_id"] == slot.broadcast_id
        assert cluster["last_broadcast"]["state"] == "finished"


def test_a_restart_inside_the_slot_resends_without_a_second_playback(
    site: Site, make_fleet: MakeFleet
) -> None:
    slot = Slot.ahead(site.commune, seconds=5, length_s=90)
    # Slow playback, so the broadcast is still playing when the daemon comes back.
    site.write(timetable(slot, PLAYLIST))
    fleet = make_fleet(speed=1.0)
    assert fleet.wait_online(timeout=15)
    site.start()
    assert all_have(fleet, slot.broadcast_id, "playing"), site.log()
    assert site.stop() == 0

    site.start()
    assert fleet.wait_for(
        lambda view: all(len(rec.plays(slot.broadcast_id)) >= 2 for rec in view.values()),
        timeout=20,
    ), site.log()
    time.sleep(1.0)
    for name in cluster_names():
        record = fleet.snapshot(name)
        assert record.starts[slot.broadcast_id] == 1, f"{name} played it twice"
        assert record.plays(slot.broadcast_id)[-1].broadcast_id == slot.broadcast_id
    detail = site.get(f"/broadcasts/{slot.broadcast_id}")
    assert all(c["sends"] >= 2 for c in detail["clusters"])
    assert detail["counts"] == {"playing": CLUSTERS}


def publish(site: Site, topic: str, payload: bytes) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"probe-{uuid.uuid4().hex[:8]}")
    client.connect("127.0.0.1", 1883)
    client.loop_start()
    client.publish(topic, payload, qos=1).wait_for_publish(5)
    client.loop_stop()
    client.disconnect()


def test_duplicate_acks_are_stored_once_and_bad_messages_are_counted(
    site: Site, make_fleet: MakeFleet
) -> None:
    slot = Slot.ahead(site.commune, seconds=4, length_s=60)
    site.write(timetable(slot, PLAYLIST))
    fleet = make_fleet(silent=frozenset({"loa-22"}))
    assert fleet.wait_online(timeout=15)
    site.start()
    assert all_have(fleet, slot.broadcast_id, "received", CLUSTERS - 1), site.log()

    ack = json.dumps(
        {"v": 1, "broadcast_id": slot.broadcast_id, "state": "received",
         "at": slot.start.isoformat(), "detail": "", "firmware_note": "ignored field"}
    ).encode()
    ack_topic = f"{site.prefix}/{site.commune}/loa-22/ack"
    publish(site, ack_topic, ack)
    publish(site, ack_topic, ack)  # QoS 1 may deliver twice; the same ack is one row
    publish(site, ack_topic, b"{not json")
    publish(site, ack_topic, b'{"v": 2, "broadcast_id": "x", "state": "received"}')
    publish(site, f"{site.prefix}/{site.commune}/loa-99/ack", ack)
    publish(site, f"{site.prefix}/other-commune/loa-01/ack", ack)
    unknown = json.dumps(
        {"v": 1, "broadcast_id": f"{site.commune}/morning/1999-01-01", "state": "received",
         "at": slot.start.isoformat()}
    ).encode()
    publish(site, ack_topic, unknown)
    time.sleep(1.5)

    detail = site.get(f"/broadcasts/{slot.broadcast_id}")
    events = [e for e in detail["ack_events"] if e["cluster"] == "loa-22"]
    assert [e["state"] for e in events] == ["received"]
    rejected = {item["reason"]: item["count"] for item in site.get("/status")["rejected"]}
    assert rejected == {
        "malformed": 1, "bad_version": 1, "unknown_cluster": 2, "unknown_broadcast": 1
    }
    assert httpx.get(f"{site.base_url}/healthz", timeout=5).status_code == 200
    assert site.alive()
    # The acks stored before the junk are all still there.
    assert len({e["cluster"] for e in detail["ack_events"]}) == CLUSTERS


def test_a_silent_cluster_is_sent_the_play_again_until_it_answers(
    site: Site, make_fleet: MakeFleet
) -> None:
    slot = Slot.ahead(site.commune, seconds=4, length_s=30)
    site.resend_after_s = 2.0  # then 4 s; resends are checked once a second
    site.write(timetable(slot, PLAYLIST))
    fleet = make_fleet(silent=frozenset({"loa-05"}))
    assert fleet.wait_online(timeout=15)
    site.start()
    assert fleet.wait_for(lambda view: len(view["loa-05"].plays()) >= 3, timeout=30), site.log()
    silent = fleet.snapshot("loa-05")
    gaps = [
        (later.received_at - earlier.received_at).total_seconds()
        for earlier, later in zip(silent.commands, silent.commands[1:])
    ]
    assert 1.9 <= gaps[0] < 3.5 and 3.9 <= gaps[1] < 5.5, f"waits should be ~2 s, ~4 s: {gaps}"
    # Clusters that answered got the play once.
    assert len(fleet.snapshot("loa-04").plays(slot.broadcast_id)) == 1


def test_a_cluster_that_connects_late_gets_its_broadcast_at_once(
    site: Site, make_fleet: MakeFleet
) -> None:
    slot = Slot.ahead(site.commune, seconds=3, length_s=60)
    site.resend_after_s = 300.0  # so only its coming online can explain the send
    site.write(timetable(slot, PLAYLIST))
    fleet = make_fleet(late={"loa-09": 8.0}, speed=1.0)
    assert fleet.wait_online(count=CLUSTERS - 1, timeout=15)
    site.start()
    assert fleet.wait_for(lambda view: view["loa-09"].online, timeout=30)
    assert fleet.wait_for(lambda view: bool(view["loa-09"].plays()), timeout=3), site.log()
    late = fleet.snapshot("loa-09")
    assert late.plays()[0].broadcast_id == slot.broadcast_id
    assert all_have(fleet, slot.broadcast_id, "playing"), site.log()


def test_cancelling_a_live_broadcast_stops_every_cluster(
    site: Site, make_fleet: MakeFleet
) -> None:
    slot = Slot.ahead(site.commune, seconds=3, length_s=60)
    site.write(timetable(slot, PLAYLIST))
    fleet = make_fleet(speed=1.0)
    assert fleet.wait_online(timeout=15)
    site.start()
    assert all_have(fleet, slot.broadcast_id, "playing"), site.log()

    cancel = f"{site.base_url}/broadcasts/{slot.broadcast_id}/cancel"
    assert httpx.post(cancel, timeout=5).status_code == 401  # no token, nothing stops
    token = site.token("commune-office", "operator")
    response = httpx.post(
        cancel,
        json={"reason": "storm warning"},
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )
    assert response.status_code == 200, response.text
    assert all_have(fleet, slot.broadcast_id, "stopped"), site.log()
    for name in cluster_names():
        commands = fleet.snapshot(name).commands
        assert isinstance(commands[-1].command, StopCommand)
    time.sleep(1.0)
    detail = site.get(f"/broadcasts/{slot.broadcast_id}")
    assert detail["cancelled"] is True
    assert (detail["cancelled_by"], detail["cancel_reason"]) == ("commune-office", "storm warning")
    assert detail["counts"] == {"stopped": CLUSTERS}
