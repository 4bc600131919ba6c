"""Broker access rules: generated from timetables, enforced by a real Mosquitto.

A second Mosquitto runs on a free port with deploy/mosquitto/broadcastd.conf (paths
pointed into tmp_path), a password file made by mosquitto_passwd, and the ACL that
broadcastd.service.mosquitto_acl generates.
"""

from __future__ import annotations

import getpass
import queue
import shutil
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from broadcastd.contract import TopicKind, topic
from broadcastd.service.mosquitto_acl import (
    AclError,
    acl_text,
    broker_identity,
    clusters_in_schedules,
    main,
    read_credentials,
)
from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
PREFIX = "broadcast"

TIMETABLE = """\
commune: {{id: {commune}, name: Xã {commune}}}
areas:
  - id: khu-1
    name: Khu 1
    clusters: [{clusters}]
slots: []
"""


def write_schedules(directory: Path) -> Path:
    directory.mkdir()
    (directory / "man-lan.yaml").write_text(
        TIMETABLE.format(commune="man-lan", clusters="c01, c02"), encoding="utf-8"
    )
    (directory / "khai-xuan.yaml").write_text(
        TIMETABLE.format(commune="khai-xuan", clusters="c01"), encoding="utf-8"
    )
    return directory


def test_acl_gives_each_cluster_its_own_topics_and_the_daemon_all() -> None:
    text = acl_text(PREFIX, [("man-lan", "c02"), ("man-lan", "c01")], "broadcastd")

    assert "user broadcastd\ntopic readwrite broadcast/#\n" in text
    assert (
        "user man-lan.c01\n"
        "topic read broadcast/man-lan/c01/cmd\n"
        "topic write broadcast/man-lan/c01/ack\n"
        "topic write broadcast/man-lan/c01/state\n"
    ) in text
    assert text.index("man-lan.c01") < text.index("man-lan.c02")
    assert "pattern" not in text


def test_clusters_are_read_from_every_timetable(tmp_path: Path) -> None:
    schedules = write_schedules(tmp_path / "schedules")

    assert clusters_in_schedules(schedules) == [
        ("khai-xuan", "c01"), ("man-lan", "c01"), ("man-lan", "c02"),
    ]


def test_a_timetable_with_an_unsafe_id_is_refused(tmp_path: Path) -> None:
    schedules = tmp_path / "schedules"
    schedules.mkdir()
    (schedules / "x.yaml").write_text(TIMETABLE.format(commune="man-lan", clusters="'c/#'"))

    with pytest.raises(AclError, match="c/#"):
        clusters_in_schedules(schedules)


def test_prefix_and_daemon_user_come_from_the_config(tmp_path: Path) -> None:
    config = tmp_path / "broadcastd.yaml"
    config.write_text("broker:\n  topic_prefix: loa\n  username: trungtam\n")

    assert broker_identity(config) == ("loa", "trungtam")
    assert broker_identity(tmp_path / "missing.yaml") == ("broadcast", "broadcastd")


def test_credentials_are_kept_on_a_rerun_and_dropped_with_the_cluster(tmp_path: Path) -> None:
    schedules = write_schedules(tmp_path / "schedules")
    credentials = tmp_path / "mqtt-credentials"
    args = ["credentials", "--schedules", str(schedules), "--file", str(credentials)]

    assert main(args) == 0
    first = read_credentials(credentials)
    assert main(args) == 0
    (schedules / "khai-xuan.yaml").unlink()
    assert main(args) == 0

    assert sorted(first) == ["broadcastd", "khai-xuan.c01", "man-lan.c01", "man-lan.c02"]
    assert read_credentials(credentials) == {
        user: first[user] for user in ("broadcastd", "man-lan.c01", "man-lan.c02")
    }
    assert credentials.stat().st_mode & 0o777 == 0o600


class Broker:
    def __init__(
        self, port: int, credentials: dict[str, str], tls_port: int = 0, ca: Path | None = None
    ) -> None:
        self.port = port
        self.credentials = credentials
        self.tls_port = tls_port
        """The clusters' listener (8883 in production), with the commune CA `ca`."""
        self.ca = ca


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Broker]:
    if shutil.which("mosquitto") is None or shutil.which("mosquitto_passwd") is None:
        pytest.skip("mosquitto and mosquitto_passwd are needed (apt-get install mosquitto)")
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed for the TLS listener (apt-get install openssl)")
    tmp = tmp_path_factory.mktemp("mosquitto")
    certs = tmp / "certs"  # as install.sh makes them
    subprocess.run(["bash", str(ROOT / "deploy/make-certs.sh"), str(certs), "127.0.0.1"],
                   check=True, capture_output=True)
    schedules = write_schedules(tmp / "schedules")
    credentials = tmp / "mqtt-credentials"
    assert main(["credentials", "--schedules", str(schedules), "--file", str(credentials)]) == 0
    passwd = tmp / "broadcastd.passwd"
    shutil.copy(credentials, passwd)
    subprocess.run(["mosquitto_passwd", "-U", str(passwd)], check=True)
    acl = tmp / "broadcastd.acl"
    acl.write_text(acl_text(PREFIX, clusters_in_schedules(schedules), "broadcastd"))
    port, tls_port = free_port(), free_port()
    shipped = (ROOT / "deploy/mosquitto/broadcastd.conf").read_text()
    conf = tmp / "mosquitto.conf"
    conf.write_text(
        shipped.replace("listener 1883 127.0.0.1", f"listener {port} 127.0.0.1")
        .replace("listener 8883", f"listener {tls_port} 127.0.0.1")
        .replace("/etc/mosquitto/certs/broadcastd-ca.crt", str(certs / "ca.crt"))
        .replace("/etc/mosquitto/certs/broadcastd-server.crt", str(certs / "server.crt"))
        .replace("/etc/mosquitto/certs/broadcastd-server.key", str(certs / "server.key"))
        .replace("/etc/mosquitto/broadcastd.passwd", str(passwd))
        .replace("/etc/mosquitto/broadcastd.acl", str(acl))
        # As root, Mosquitto would drop to the `mosquitto` user, who cannot read tmp_path.
        + f"persistence_location {tmp}/\nlog_dest stderr\nuser {getpass.getuser()}\n"
    )
    process = subprocess.Popen(
        ["mosquitto", "-c", str(conf)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            socket.create_connection(("127.0.0.1", tls_port), timeout=0.5).close()
            break
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                output = process.communicate()[0].decode()
                pytest.fail(f"mosquitto did not start with the shipped config:\n{output}")
            time.sleep(0.02)
    yield Broker(port, read_credentials(credentials), tls_port, certs / "ca.crt")
    process.terminate()
    process.wait(10)


class Peer:
    """A connected MQTT v5 client whose received messages and PUBACK codes land in queues."""

    def __init__(
        self, broker: Broker, username: str, password: str | None = None, *, tls: bool = False
    ) -> None:
        self.messages: queue.Queue[tuple[str, bytes]] = queue.Queue()
        self.connected: queue.Queue[ReasonCode] = queue.Queue()
        self.acks: dict[int, ReasonCode] = {}
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=username, protocol=mqtt.MQTTv5
        )
        self.client.username_pw_set(username, password or broker.credentials.get(username))
        self.client.on_message = lambda c, u, msg: self.messages.put((msg.topic, bytes(msg.payload)))
        self.client.on_connect = lambda c, u, f, rc, p: self.connected.put(rc)
        self.client.on_publish = self._published
        if tls:
            assert broker.ca is not None
            self.client.tls_set(ca_certs=str(broker.ca))
        self.client.connect("127.0.0.1", broker.tls_port if tls else broker.port)
        self.client.loop_start()
        self.result = self.connected.get(timeout=10)

    def _published(
        self, client: mqtt.Client, userdata: object, mid: int, rc: ReasonCode, props: Properties
    ) -> None:
        self.acks[mid] = rc

    def subscribe(self, pattern: str) -> None:
        done: queue.Queue[int] = queue.Queue()
        self.client.on_subscribe = lambda c, u, mid, codes, p: done.put(mid)
        self.client.subscribe(pattern, qos=1)
        done.get(timeout=10)

    def publish(self, name: str, payload: str, retain: bool = False) -> ReasonCode:
        info = self.client.publish(name, payload, qos=1, retain=retain)
        info.wait_for_publish(10)
        return self.acks[info.mid]

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def peers(broker: Broker) -> Iterator[dict[str, Peer]]:
    made = {name: Peer(broker, name) for name in ("broadcastd", "man-lan.c01", "man-lan.c02")}
    yield made
    for peer in made.values():
        peer.close()


def test_a_cluster_reads_only_its_own_commands(peers: dict[str, Peer]) -> None:
    daemon, c01 = peers["broadcastd"], peers["man-lan.c01"]
    c01.subscribe(f"{PREFIX}/#")

    daemon.publish(topic(PREFIX, "man-lan", "c02", TopicKind.CMD), "for c02")
    daemon.publish(topic(PREFIX, "man-lan", "c01", TopicKind.CMD), "for c01")

    # Messages from one publisher arrive in order: had c02's got through, it came first.
    assert c01.messages.get(timeout=10) == ("broadcast/man-lan/c01/cmd", b"for c01")
    assert c01.messages.empty()


def test_a_cluster_cannot_ack_for_another_and_the_daemon_hears_its_own(
    peers: dict[str, Peer],
) -> None:
    daemon, c01 = peers["broadcastd"], peers["man-lan.c01"]
    daemon.subscribe(f"{PREFIX}/+/+/ack")
    daemon.subscribe(f"{PREFIX}/+/+/state")

    forged = c01.publish(topic(PREFIX, "man-lan", "c02", TopicKind.ACK), "forged")
    command = c01.publish(topic(PREFIX, "man-lan", "c02", TopicKind.CMD), "a command")
    own = c01.publish(topic(PREFIX, "man-lan", "c01", TopicKind.ACK), "own ack")
    state = c01.publish(topic(PREFIX, "man-lan", "c01", TopicKind.STATE), "online", retain=True)

    assert (forged.getName(), command.getName()) == ("Not authorized", "Not authorized")
    assert not own.is_failure and not state.is_failure
    assert daemon.messages.get(timeout=10) == ("broadcast/man-lan/c01/ack", b"own ack")
    assert daemon.messages.get(timeout=10) == ("broadcast/man-lan/c01/state", b"online")
    assert daemon.messages.empty()


def test_nobody_gets_in_without_the_right_password(broker: Broker) -> None:
    stranger = Peer(broker, "man-lan.c01", password="guess")
    anonymous = Peer(broker, "", password="")
    try:
        assert stranger.result.is_failure
        assert anonymous.result.is_failure
    finally:
        stranger.close()
        anonymous.close()


def test_a_cluster_logs_in_over_tls_with_the_communes_ca_and_keeps_to_its_acl(
    broker: Broker,
) -> None:
    daemon = Peer(broker, "broadcastd")
    cluster = Peer(broker, "man-lan.c01", tls=True)
    try:
        assert not cluster.result.is_failure
        daemon.subscribe(f"{PREFIX}/+/+/ack")
        own, other = f"{PREFIX}/man-lan/c01/ack", f"{PREFIX}/man-lan/c02/ack"
        assert not cluster.publish(own, "{}").is_failure
        assert cluster.publish(other, "{}").is_failure
        assert daemon.messages.get(timeout=5)[0] == own
    finally:
        cluster.close()
        daemon.close()


def test_the_clusters_port_speaks_tls_only(broker: Broker) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id="man-lan.c02")
    client.username_pw_set("man-lan.c02", broker.credentials["man-lan.c02"])
    try:
        client.connect("127.0.0.1", broker.tls_port)
        rc = client.loop(timeout=2.0)
        rc = client.loop(timeout=2.0) if rc == 0 else rc
        assert rc != 0 or not client.is_connected()
    except (OSError, ssl.SSLError):
        pass  # refused outright: also TLS only
    finally:
        client.disconnect()


@pytest.mark.parametrize("where", ["commune", "cluster"])
def test_an_id_with_a_trailing_newline_never_reaches_the_acl(tmp_path: Path, where: str) -> None:
    """Mosquitto refuses an ACL with a line break inside a user name: every cluster would
    be offline. A quoted "c01\\n" must be refused, not written."""
    schedules = tmp_path / "schedules"
    schedules.mkdir()
    commune, clusters = ("'man-lan\n\n'", "c01") if where == "commune" else ("man-lan", '"c01\\n"')
    (schedules / "x.yaml").write_text(TIMETABLE.format(commune=commune, clusters=clusters))

    with pytest.raises(AclError, match="not allowed in MQTT names"):
        clusters_in_schedules(schedules)


def test_a_timetable_the_reader_refuses_is_an_acl_error(tmp_path: Path) -> None:
    schedules = tmp_path / "schedules"
    schedules.mkdir()
    (schedules / "x.yaml").write_text("commune: " + "[" * 5000 + "\n")

    with pytest.raises(AclError, match="nested more than"):
        clusters_in_schedules(schedules)
