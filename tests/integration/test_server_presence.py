"""Contract 1.1, server rule 5: the daemon's own presence, retained, with a Last Will."""

from __future__ import annotations

import json
import threading
import time
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from broadcastd import __version__

from .conftest import PLAYLIST, MakeFleet
from .site import Site, Slot, cluster_names, timetable

pytestmark = pytest.mark.integration


class Watcher:
    """What a cluster (or `mosquitto_sub`) sees on `<prefix>/server/state`."""

    def __init__(self, prefix: str, port: int) -> None:
        self.seen: list[dict[str, Any]] = []
        self._changed = threading.Condition()
        self._client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"watch-{prefix}")
        self._client.on_message = self._received
        self._client.connect("127.0.0.1", port)
        self._client.subscribe(f"{prefix}/server/state", qos=1)
        self._client.loop_start()

    def _received(self, client: mqtt.Client, userdata: object, msg: mqtt.MQTTMessage) -> None:
        with self._changed:
            self.seen.append(json.loads(msg.payload))
            self._changed.notify_all()

    def wait_for(self, online: bool, after: int, timeout_s: float = 15.0) -> dict[str, Any]:
        """The first message past the first `after` ones saying `online`."""
        with self._changed:
            self._changed.wait_for(
                lambda: any(m["online"] is online for m in self.seen[after:]), timeout_s
            )
            found = [m for m in self.seen[after:] if m["online"] is online]
        assert found, f"no online={online} after message {after}: {self.seen}"
        return found[0]

    def close(self) -> None:
        self._client.loop_stop()
        self._client.disconnect()


@pytest.mark.parametrize("broker", ["mosquitto", "rabbitmq"], indirect=True)
def test_the_server_says_online_and_its_will_or_a_clean_stop_says_offline(site: Site) -> None:
    site.write(timetable(Slot.ahead(site.commune, seconds=600, length_s=60), PLAYLIST))
    watcher = Watcher(site.prefix, site.broker_port)
    try:
        site.start()
        assert watcher.wait_for(True, 0) == {"v": 1, "online": True, "version": __version__}

        assert site.process is not None
        marker = len(watcher.seen)
        site.process.kill()  # kill -9: no DISCONNECT, the broker publishes the Will
        site.process.wait()
        site.process = None
        assert watcher.wait_for(False, marker) == {"v": 1, "online": False}

        marker = len(watcher.seen)
        site.start()
        watcher.wait_for(True, marker)
        marker = len(watcher.seen)
        assert site.stop() == 0  # SIGTERM: a clean DISCONNECT, so no Will; it says so itself
        assert watcher.wait_for(False, marker) == {"v": 1, "online": False}
    finally:
        watcher.close()


def online_clusters(site: Site) -> set[str]:
    (commune,) = site.get("/status", commune=site.commune)["communes"]
    return {cluster["cluster"] for cluster in commune["clusters"] if cluster["online"]}


def status_shows(site: Site, expected: set[str], timeout_s: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if online_clusters(site) == expected:
            return True
        time.sleep(0.2)
    return False


@pytest.mark.parametrize("broker", ["mosquitto", "rabbitmq"], indirect=True)
def test_cluster_presence_is_right_after_a_daemon_restart(
    site: Site, make_fleet: MakeFleet
) -> None:
    """The fleet is online before the daemon starts (it learns that from the retained
    `state`), and a cluster that drops while the daemon is down shows offline after."""
    site.write(timetable(Slot.ahead(site.commune, seconds=600, length_s=60), PLAYLIST))
    fleet = make_fleet()
    assert fleet.wait_online(timeout=15)
    everyone = set(cluster_names())
    site.start()
    assert status_shows(site, everyone), (online_clusters(site), site.log())

    assert site.stop() == 0
    fleet.crash("loa-22")  # no DISCONNECT: the broker publishes its retained Will
    site.start()
    assert status_shows(site, everyone - {"loa-22"}), (online_clusters(site), site.log())

    fleet.connect("loa-22")
    assert status_shows(site, everyone), (online_clusters(site), site.log())
