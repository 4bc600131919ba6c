"""Fuzzed `ack` and `state` payloads (hypothesis): nothing invalid is stored, every
message is stored or refused and counted by the reason the contract gives, and the
daemon is healthy and delivering afterwards.

The messages are generated in-process into a list (valid ones with 0-3 mutations, and
raw bytes), then published over one client: a few thousand in seconds. What each must
become is stated independently in tests/faults/fuzz.py. The seed is printed; set
FUZZ_SEED to replay a run.
"""

from __future__ import annotations

import json
import os
import random
import threading
import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from broadcastd.contract import Presence, parse_command
from broadcastd.contract.topics import TopicKind
from tests.integration.site import Site
from tests.service.harness import Commune, eventually, scrape, value

from .broker import Mosquitto
from .clusters import ClusterSide, read, refused_in_database, stored_acks
from .fuzz import MAX_ITEM, MAX_TEXT, STATES, expected_ack, expected_state, messages

pytestmark = pytest.mark.integration

Fold = dict[str, tuple[bool, str | None, int | None]]


@pytest.mark.parametrize("count", [3000, pytest.param(10_000, marks=pytest.mark.long)])
def test_fuzzed_acks_and_states_are_stored_or_refused_and_counted(
    site: Site, broker: Mosquitto, count: int
) -> None:
    commune = Commune.unique(clusters=5)  # the last one is kept out of the fuzzing
    window = commune.window(1, 1800)
    bid = commune.broadcast_id("morning", window)
    site.write(commune.timetable({"morning": window}))
    site.start()
    assert eventually(lambda: _exists(site, bid))

    fuzz_seed = int(os.environ.get("FUZZ_SEED", random.randrange(2**32)))
    now = datetime.now(UTC)
    fuzzed = messages(count, commune.clusters[:-1], bid, now, fuzz_seed)
    keys: set[tuple[str, str, str, int]] = set()
    refused: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    presence: Fold = {}
    side = ClusterSide(broker.port)
    try:
        for message in fuzzed:
            kind = TopicKind.ACK if message.kind == "ack" else TopicKind.STATE
            side.publish(commune.topic(site.prefix, message.cluster, kind), message.payload)
            if message.kind == "ack":
                outcome = expected_ack(message.payload, bid, now)
                if outcome == "stored":
                    obj = json.loads(message.payload)
                    item = obj.get("item")
                    keys.add((bid, message.cluster, obj["state"], -1 if item is None else item))
            else:
                outcome = expected_state(message.payload)
                if outcome == "stored":
                    _fold(presence, message.cluster, json.loads(message.payload))
            outcomes[outcome] += 1
            if outcome not in ("stored", "ignored"):
                refused[outcome] += 1
        assert side.wait_confirmed(60) == len(fuzzed)
    finally:
        side.close()

    replay = f"replay with FUZZ_SEED={fuzz_seed}"
    done = eventually(
        lambda: refused_in_database(site.database) == dict(refused)
        and stored_acks(site.database) == keys,
        timeout_s=60,
    )
    stored = stored_acks(site.database)
    assert done, (replay, refused_in_database(site.database), dict(refused),
                  sorted(stored - keys)[:5], sorted(keys - stored)[:5])
    assert _presences(site) == presence, replay
    _assert_nothing_invalid_stored(site)
    samples = scrape(site.base_url)
    for reason, number in refused.items():
        assert value(samples, "broadcastd_messages_rejected_total", reason=reason) == number

    assert httpx.get(f"{site.base_url}/healthz", timeout=5).status_code == 200
    assert _delivers(site, broker, commune, bid), site.log()
    print(f"\nfuzzed {len(fuzzed)} messages (seed {fuzz_seed}, "
          f"{len({m.payload for m in fuzzed})} distinct payloads): {outcomes['stored']} valid "
          f"({len(keys)} distinct acks stored, {len(presence)} presences), "
          f"{outcomes['ignored']} empty states ignored, {sum(refused.values())} refused: "
          f"{dict(sorted(refused.items()))}; stored and refused matched exactly")


def _fold(presence: Fold, cluster: str, obj: dict[str, Any]) -> None:
    """A state as the store keeps it: a missing firmware or volume keeps the last one."""
    _online, firmware, volume = presence.get(cluster, (False, None, None))
    presence[cluster] = (
        obj["online"],
        obj["firmware"] if obj.get("firmware") is not None else firmware,
        obj["volume"] if obj.get("volume") is not None else volume,
    )


def _presences(site: Site) -> Fold:
    rows = read(site.database, "SELECT cluster, online, firmware, volume FROM cluster_presence")
    return {str(c): (bool(o), f, v) for c, o, f, v in rows}  # type: ignore[misc]


def _assert_nothing_invalid_stored(site: Site) -> None:
    for state, item, detail in read(site.database, "SELECT state, item, detail FROM ack_events"):
        assert state in STATES and -1 <= item <= MAX_ITEM  # type: ignore[operator]
        assert len(detail) <= MAX_TEXT  # type: ignore[arg-type]
    for firmware, volume in read(site.database, "SELECT firmware, volume FROM cluster_presence"):
        assert firmware is None or len(firmware) <= MAX_TEXT  # type: ignore[arg-type]
        assert volume is None or 0 <= volume <= 100  # type: ignore[operator]


def _delivers(site: Site, broker: Mosquitto, commune: Commune, bid: str) -> bool:
    """A cluster that comes online afterwards is still sent its broadcast at once (one
    the fuzzing left alone: the others may have acked it `finished`)."""
    cluster = commune.clusters[-1]
    plays = threading.Event()

    def received(_client: mqtt.Client, _userdata: object, message: mqtt.MQTTMessage) -> None:
        if parse_command(message.payload).broadcast_id == bid:
            plays.set()

    watcher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"watch-{uuid.uuid4().hex[:8]}")
    watcher.on_message = received
    watcher.connect("127.0.0.1", broker.port)
    watcher.subscribe(commune.topic(site.prefix, cluster, TopicKind.CMD), qos=1)
    watcher.loop_start()
    side = ClusterSide(broker.port)
    try:
        state = commune.topic(site.prefix, cluster, TopicKind.STATE)
        side.publish(state, Presence(online=False).to_payload())
        side.publish(state, Presence(online=True).to_payload())
        return plays.wait(15)
    finally:
        side.close()
        watcher.loop_stop()
        watcher.disconnect()


def _exists(site: Site, bid: str) -> bool:
    return httpx.get(f"{site.base_url}/broadcasts/{bid}", timeout=5).status_code == 200
