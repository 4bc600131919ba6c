"""Several daemons, one province (issue 11): three `broadcastd run` processes with leases
on one PostgreSQL share 30 communes; one is killed with -9 in the middle of the slot.

What a province operator checks: another daemon owns the killed one's communes, their
clusters get the `play` again under the same broadcast id and none plays it twice, every
ack the fleet sent is in the database once, and `/status` on a survivor says what the
database says. Then a clean stop hands the communes over to the last daemon."""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from broadcastd.contract import PlayCommand
from broadcastd.simulate.fleet import Fleet
from tests.conftest import RABBITMQ_MQTT

from .province import (
    CLUSTERS,
    Communes,
    DaemonProcess,
    Province,
    ack_key,
    eventually,
    last_states,
    owners_in_database,
    stored_ack_keys,
)

pytestmark = pytest.mark.integration

LEASE_S = 3.0
PLAYLIST: list[dict[str, Any]] = [
    {"audio": "nhac-hieu"},
    {"stream": "http://127.0.0.1:9/relay", "duration_s": 240, "title": "Tiếp sóng huyện"},
]


def _owners(daemon: DaemonProcess) -> dict[str, str | None]:
    return {c["commune"]: (c["owner"] or {}).get("daemon") for c in daemon.status()["communes"]}


def _shares(daemon: DaemonProcess) -> dict[str, int]:
    return {d["name"]: d["communes"] for d in daemon.status()["daemons"] if d["live"]}


@pytest.mark.parametrize(
    "broker",
    ["mosquitto", pytest.param("rabbitmq", marks=pytest.mark.long, id="rabbitmq")],
    indirect=True,
)
def test_kill_9_of_an_owner_hands_its_communes_over_without_a_second_playback(
    tmp_path: Path, audio_library: Path, broker: tuple[str, int], topic_prefix: str,
    database_url: str, province: Province,
) -> None:
    """On Mosquitto, acks through a shared subscription; on RabbitMQ 3.x (`-m long`), which
    has none, every daemon stores every ack and the unique key keeps one row."""
    shared = broker != RABBITMQ_MQTT
    communes = Communes.make(30, ahead_s=3600, length_s=300)  # nothing on air yet
    schedules = tmp_path / "schedules"
    communes.write(schedules, PLAYLIST)
    for daemon in province.daemons:
        daemon.write_config(schedules=schedules, library=audio_library,
                            database_url=database_url, prefix=topic_prefix, lease_s=LEASE_S,
                            broker_port=broker[1], shared=shared)
    province.start()
    first = province.daemons[0]
    assert eventually(lambda: _shares(first) == {"d1": 10, "d2": 10, "d3": 10}, 30), (
        _shares(first), province.logs())
    # Any daemon names every daemon and where an operator reaches it.
    assert {d["name"]: d["http_url"] for d in first.status()["daemons"]} == {
        d.name: d.own_url for d in province.daemons
    }

    fleet = Fleet(communes.fleet_config(topic_prefix, port=broker[1], speed=1.0))
    fleet.start()
    try:
        assert fleet.wait_online(timeout=20)
        communes.move(ahead_s=4, length_s=300)  # the slot, now: every daemon reloads it
        communes.write(schedules, PLAYLIST)
        assert fleet.wait_for(lambda view: all(
            rec.has_ack(communes.broadcast_id(rec.commune), "playing") for rec in view.values()
        ), timeout=40), province.logs()

        owners = _owners(first)
        victim_name = owners[communes.ids[0]]
        victim = next(d for d in province.daemons if d.name == victim_name)
        taken = sorted(c for c, owner in owners.items() if owner == victim_name)
        survivors = [d for d in province.daemons if d is not victim]
        killed_at = datetime.now(UTC)
        victim.kill()

        def replayed(view: Any) -> bool:
            return all(any(play.sent_at > killed_at for play in view[f"{c}.{name}"].plays())
                       for c in taken for name in CLUSTERS)

        assert fleet.wait_for(replayed, timeout=LEASE_S * 6), province.logs()
        replay_at = min(  # the first play the new owner sent (after the kill)
            cmd.received_at for c in taken for name in CLUSTERS
            for cmd in fleet.snapshot(f"{c}.{name}").commands
            if isinstance(cmd.command, PlayCommand) and cmd.command.sent_at > killed_at
        )
        print(f"\ntakeover (lease {LEASE_S} s): {(replay_at - killed_at).total_seconds():.2f} s "
              f"from kill -9 to the first play from the new owner; {len(taken)} communes")

        # Another daemon owns each of them, and /status on a survivor says so.
        in_db = owners_in_database(database_url)
        assert sorted(in_db) == communes.ids
        assert {in_db[c] for c in taken} <= {d.name for d in survivors}
        assert eventually(lambda: _owners(survivors[0]) == owners_in_database(database_url))
        assert victim_name not in _shares(survivors[0])
        time.sleep(1.0)  # re-acks of the resent play arrive
        for c in communes.ids:
            bid = communes.broadcast_id(c)
            for name in CLUSTERS:
                record = fleet.snapshot(f"{c}.{name}")
                assert {play.broadcast_id for play in record.plays()} == {bid}
                assert record.starts[bid] == 1, f"{c}.{name} played {bid} twice"

        # Every ack the fleet sent is in ack_events, once.
        def sent() -> set[tuple[str, str, str, int, str]]:
            return fleet.record.read(lambda view: {
                ack_key(a.broadcast_id, rec.cluster, a.state, a.item, a.detail)
                for rec in view.values() for sent in rec.acks for a in [sent.ack]})

        assert eventually(lambda: set(stored_ack_keys(database_url)) == sent(), 30), (
            sent() - set(stored_ack_keys(database_url)), province.logs())
        rows = stored_ack_keys(database_url)
        assert not [key for key, n in Counter(rows).items() if n > 1]

        # The database's outcomes and /status on a survivor agree, cluster by cluster.
        states = last_states(database_url)
        # Acks of one cluster went to different daemons; none moved a delivery backwards.
        assert set(states.values()) == {"playing"}
        shown = {
            (commune, cl["cluster"]): cl["last_broadcast"]["state"]
            for commune, cl in survivors[0].clusters()
        }
        assert shown == {key: state or "pending" for key, state in states.items()}

        # Cancelled through a daemon that does not own the commune: its owner stops it.
        leaving, last = survivors
        cancelled = next(c for c, owner in owners_in_database(database_url).items()
                         if owner == last.name)
        response = httpx.post(
            f"{leaving.base_url}/broadcasts/{communes.broadcast_id(cancelled)}/cancel",
            json={"reason": "storm warning"},
            headers={"Authorization": f"Bearer {leaving.token('office', 'operator')}"},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        assert fleet.wait_for(lambda view: all(
            view[f"{cancelled}.{name}"].has_ack(communes.broadcast_id(cancelled), "stopped")
            for name in CLUSTERS), timeout=20), province.logs()

        # A clean stop hands over at once: the last daemon runs the whole province.
        assert leaving.stop() == 0
        assert not any(owner == leaving.name for owner in owners_in_database(database_url)
                       .values())
        assert eventually(lambda: set(owners_in_database(database_url).values()) == {last.name},
                          LEASE_S * 5), province.logs()
        time.sleep(1.0)
        for c in communes.ids:
            for name in CLUSTERS:
                assert fleet.snapshot(f"{c}.{name}").starts[communes.broadcast_id(c)] == 1
    finally:
        fleet.stop()
