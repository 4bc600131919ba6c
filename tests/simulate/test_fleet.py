"""A simulated fleet on the real Mosquitto, seen from the server's side of the contract."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from broadcastd.contract import (
    PlayCommand,
    PlayItem,
    StopCommand,
    TopicKind,
    parse_ack,
    parse_presence,
    topic,
)
from broadcastd.simulate import Fleet, FleetConfig, FleetView, cluster_ids, local_now
from tests.simulate.conftest import ServerSide, retained

pytestmark = pytest.mark.integration

BID = "test/morning/1"


def stream_play(bid: str = BID, durations: tuple[float, ...] = (30.0, 30.0),
                items: tuple[PlayItem, ...] | None = None, *, priority: int = 0,
                start_in_s: float = 0.0) -> PlayCommand:
    now = local_now()
    start = now + timedelta(seconds=start_in_s)
    return PlayCommand(
        broadcast_id=bid, start=start, end=start + timedelta(minutes=10), priority=priority,
        volume=80,
        items=items or tuple(PlayItem("stream", f"http://radio/{i}", d)
                             for i, d in enumerate(durations)),
        sent_at=now)


def finished(cluster: str, bid: str = BID, state: str = "finished"):  # type: ignore[no-untyped-def]
    return lambda view: view[cluster].has_ack(bid, state)


def start_fleet(prefix: str, commune: str, names: list[str], **options: object) -> Fleet:
    settings: dict[str, object] = {"speed": 600, "fetch": False, **options}
    config = FleetConfig(clusters=cluster_ids(commune, names), prefix=prefix,
                         **settings)  # type: ignore[arg-type]
    fleet = Fleet(config)
    fleet.start()
    assert fleet.wait_online(timeout=10)
    return fleet


def test_a_play_reaches_its_cluster_and_the_acks_come_back_on_its_ack_topic(
        prefix: str, commune: str, server: ServerSide) -> None:
    fleet = start_fleet(prefix, commune, ["kl-01", "kl-02"])
    try:
        # Its items last 0.1 s at speed 600: sent ahead of its start, as the daemon does, so
        # that a slow machine does not make it join in progress.
        command = stream_play(start_in_s=0.5)
        server.publish(topic(prefix, commune, "kl-01", TopicKind.CMD), command.to_payload())
        assert fleet.wait_for(finished("kl-01"), 10)
        ack_topic = topic(prefix, commune, "kl-01", TopicKind.ACK)
        assert server.wait_for(lambda: len(server.on(ack_topic)) == 5), server.on(ack_topic)
        acks = [parse_ack(m.payload) for m in server.on(ack_topic)]
        assert [(a.broadcast_id, a.state, a.item) for a in acks] == [
            (BID, "received", None), (BID, "ready", None), (BID, "playing", 0),
            (BID, "playing", 1), (BID, "finished", None)]
        assert not any(m.retain for m in server.on(ack_topic))
        assert all(a.at.tzinfo is not None for a in acks)
        other = fleet.snapshot("kl-02")
        assert other.commands == [] and other.acks == []
        assert fleet.snapshot("kl-01").starts == {BID: 1}
    finally:
        fleet.stop()


def test_a_resent_play_is_acked_again_but_played_once(
        prefix: str, commune: str, server: ServerSide) -> None:
    fleet = start_fleet(prefix, commune, ["kl-01"])
    try:
        command = stream_play(durations=(3000.0,))  # 5 s at speed 600
        cmd_topic = topic(prefix, commune, "kl-01", TopicKind.CMD)
        server.publish(cmd_topic, command.to_payload())
        assert fleet.wait_for(finished("kl-01", state="playing"), 10)
        server.publish(cmd_topic, command.to_payload())
        assert fleet.wait_for(lambda v: len(v["kl-01"].commands) == 2
                              and v["kl-01"].states(BID)[-1:] == ["playing"]
                              and len(v["kl-01"].acks) == 4, 10)
        server.publish(cmd_topic, StopCommand(BID, local_now()).to_payload())
        assert fleet.wait_for(finished("kl-01", state="stopped"), 10)
        record = fleet.snapshot("kl-01")
        assert record.states(BID) == ["received", "ready", "playing", "playing", "stopped"]
        assert record.starts == {BID: 1}
    finally:
        fleet.stop()


def test_state_is_retained_online_and_a_crash_leaves_the_retained_will(
        prefix: str, commune: str) -> None:
    fleet = start_fleet(prefix, commune, ["kl-01"])
    state_topic = topic(prefix, commune, "kl-01", TopicKind.STATE)
    try:
        online = retained(state_topic)
        assert online is not None
        presence = parse_presence(online)
        assert (presence.online, presence.firmware, presence.volume) == (True, "sim-1.0", 80)
        fleet.crash("kl-01")
        assert fleet.wait_for(lambda v: not v["kl-01"].online, 5)
        assert _eventually_retained(state_topic, b'{"v":1,"online":false}')
    finally:
        fleet.stop()


def test_a_clean_stop_leaves_the_cluster_retained_offline(prefix: str, commune: str) -> None:
    fleet = start_fleet(prefix, commune, ["kl-01"])
    fleet.stop()
    state = retained(topic(prefix, commune, "kl-01", TopicKind.STATE))
    assert state is not None and parse_presence(state).online is False


def test_a_silent_cluster_records_what_it_receives_but_never_acks(
        prefix: str, commune: str, server: ServerSide) -> None:
    fleet = start_fleet(prefix, commune, ["kl-01", "kl-05"], silent=frozenset({"kl-05"}))
    try:
        for cluster in ("kl-05", "kl-01"):
            server.publish(topic(prefix, commune, cluster, TopicKind.CMD),
                           stream_play().to_payload())
        assert fleet.wait_for(finished("kl-01"), 10)
        assert fleet.wait_for(lambda v: len(v["kl-05"].commands) == 1, 5)
        silent = fleet.snapshot("kl-05")
        assert silent.silent and silent.online
        assert [p.broadcast_id for p in silent.plays()] == [BID]
        assert silent.acks == [] and silent.starts == {}
        assert server.on(topic(prefix, commune, "kl-05", TopicKind.ACK)) == []
    finally:
        fleet.stop()


def test_a_late_cluster_comes_online_after_the_others(prefix: str, commune: str) -> None:
    fleet = start_fleet(prefix, commune, ["kl-01", "kl-09"], late={"kl-09": 1.0})
    try:
        assert fleet.snapshot("kl-09").connects == 0
        assert fleet.wait_for(lambda v: v["kl-09"].online, 10)
    finally:
        fleet.stop()


def test_a_garbled_command_is_recorded_with_its_error_and_not_acked(
        prefix: str, commune: str, server: ServerSide) -> None:
    fleet = start_fleet(prefix, commune, ["kl-01"])
    try:
        server.publish(topic(prefix, commune, "kl-01", TopicKind.CMD), b'{"v":2,"type":"play"}')
        assert fleet.wait_for(lambda v: len(v["kl-01"].commands) == 1, 5)
        received = fleet.snapshot("kl-01").commands[0]
        assert received.command is None and received.error.startswith("bad_version")
        assert fleet.snapshot("kl-01").acks == []
    finally:
        fleet.stop()


AUDIO = b"ID3" + bytes(range(256)) * 400


class _Audio(BaseHTTPRequestHandler):
    relay_up = threading.Event()  # `/audio/relay` answers only once this is set

    def do_GET(self) -> None:
        if self.path == "/audio/relay" and self.relay_up.is_set():
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if self.path != "/audio/bulletin.mp3":
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(AUDIO)))
        self.end_headers()
        self.wfile.write(AUDIO)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def audio_url() -> Iterator[str]:
    _Audio.relay_up.clear()
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Audio)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/audio/"
    httpd.shutdown()
    httpd.server_close()


def test_file_items_are_fetched_and_verified_before_ready(
        prefix: str, commune: str, server: ServerSide, audio_url: str) -> None:
    good = hashlib.sha256(AUDIO).hexdigest()
    cases = {  # 6000 s at speed 600: still playing when the test looks
        "kl-01": (PlayItem("file", audio_url + "bulletin.mp3", 6000.0, sha256=good),
                  "playing", ""),
        "kl-02": (PlayItem("file", audio_url + "bulletin.mp3", 30.0, sha256="0" * 64),
                  "failed", "checksum"),
        "kl-03": (PlayItem("file", audio_url + "missing.mp3", 30.0, sha256=good),
                  "failed", "fetch"),
    }
    fleet = start_fleet(prefix, commune, list(cases), fetch=True)
    try:
        for cluster, (item, _, _) in cases.items():
            server.publish(topic(prefix, commune, cluster, TopicKind.CMD),
                           stream_play(items=(item,)).to_payload())

        def all_over(view: FleetView) -> bool:
            return all(view[c].has_ack(BID, state) for c, (_, state, _) in cases.items())

        assert fleet.wait_for(all_over, 10)
        assert fleet.snapshot("kl-01").states(BID) == ["received", "ready", "playing"]
        for cluster in ("kl-02", "kl-03"):
            acks = fleet.snapshot(cluster).acks
            assert [(s.ack.state, s.ack.detail) for s in acks] == [
                ("received", ""), ("failed", cases[cluster][2])]
    finally:
        fleet.stop()


EMERGENCY = "test/announce-1/1"


def test_an_emergency_suspends_the_slot_at_its_start_and_the_slot_resumes_after_it(
        prefix: str, commune: str, server: ServerSide) -> None:
    """Contract 1.1, rule 3, seen from the server: the acks in the order they arrive."""
    fleet = start_fleet(prefix, commune, ["kl-01", "kl-02"])
    try:
        # At speed 600: each slot item lasts 3 s, the emergency 1 s from 1.5 s after now.
        slot = stream_play(durations=(1800.0, 1800.0))
        alarm = stream_play(EMERGENCY, durations=(600.0,), priority=100, start_in_s=1.5)
        for cluster in ("kl-01", "kl-02"):
            server.publish(topic(prefix, commune, cluster, TopicKind.CMD), slot.to_payload())
        server.publish(topic(prefix, commune, "kl-01", TopicKind.CMD), alarm.to_payload())
        assert fleet.wait_for(lambda v: v["kl-01"].has_ack(BID, "finished")
                              and v["kl-02"].has_ack(BID, "finished"), 15)
        ack_topic = topic(prefix, commune, "kl-01", TopicKind.ACK)
        assert server.wait_for(lambda: len(server.on(ack_topic)) == 11)
        acks = [parse_ack(m.payload) for m in server.on(ack_topic)]
        assert [(a.broadcast_id, a.state, a.item, a.detail) for a in acks] == [
            (BID, "received", None, ""), (BID, "ready", None, ""), (BID, "playing", 0, ""),
            (EMERGENCY, "received", None, ""), (EMERGENCY, "ready", None, ""),
            (BID, "suspended", 0, EMERGENCY), (EMERGENCY, "playing", 0, ""),
            (EMERGENCY, "finished", None, ""), (BID, "playing", 0, "resumed"),
            (BID, "playing", 1, ""), (BID, "finished", None, "")]
        suspended = next(a for a in acks if a.state == "suspended")
        assert suspended.at >= alarm.start  # taken at its start, not on receipt
        assert fleet.snapshot("kl-01").starts == {BID: 1, EMERGENCY: 1}
        untouched = fleet.snapshot("kl-02")
        assert [(a.ack.state, a.ack.item, a.ack.detail) for a in untouched.acks] == [
            ("received", None, ""), ("ready", None, ""), ("playing", 0, ""), ("playing", 1, ""),
            ("finished", None, "")]
    finally:
        fleet.stop()


def test_a_stream_that_cannot_be_opened_plays_its_fallback(
        prefix: str, commune: str, server: ServerSide, audio_url: str) -> None:
    fallback = PlayItem("file", audio_url + "bulletin.mp3", 180.0,
                        sha256=hashlib.sha256(AUDIO).hexdigest())
    cases = {  # 6000 s at speed 600: still playing when the test looks
        "kl-01": (PlayItem("stream", audio_url + "live", 6000.0, fallback=fallback), "fallback"),
        "kl-02": (PlayItem("stream", audio_url + "live", 6000.0), "unavailable"),
        "kl-03": (PlayItem("stream", audio_url + "bulletin.mp3", 6000.0, fallback=fallback), ""),
    }
    fleet = start_fleet(prefix, commune, list(cases), fetch=True)
    try:
        for cluster, (item, _) in cases.items():
            server.publish(topic(prefix, commune, cluster, TopicKind.CMD),
                           stream_play(items=(item,)).to_payload())
        assert fleet.wait_for(
            lambda v: all(v[c].has_ack(BID, "playing") for c in cases), 10)
        for cluster, (_, detail) in cases.items():
            acks = fleet.snapshot(cluster).acks
            assert [(s.ack.state, s.ack.item, s.ack.detail) for s in acks] == [
                ("received", None, ""), ("ready", None, ""), ("playing", 0, detail)], cluster
    finally:
        fleet.stop()


def test_a_stream_that_was_down_is_tried_again_and_acked_once_it_opens(
        prefix: str, commune: str, server: ServerSide, audio_url: str) -> None:
    fleet = start_fleet(prefix, commune, ["kl-01"], fetch=True)
    try:
        relay = PlayItem("stream", audio_url + "relay", 12000.0)  # 20 s at speed 600
        server.publish(topic(prefix, commune, "kl-01", TopicKind.CMD),
                       stream_play(items=(relay,)).to_payload())
        assert fleet.wait_for(finished("kl-01", state="playing"), 10)
        _Audio.relay_up.set()
        assert fleet.wait_for(lambda v: len(v["kl-01"].acks) == 4, 10)
        acks = fleet.snapshot("kl-01").acks
        assert [(s.ack.state, s.ack.item, s.ack.detail) for s in acks] == [
            ("received", None, ""), ("ready", None, ""), ("playing", 0, "unavailable"),
            ("playing", 0, "")]
    finally:
        fleet.stop()


def _eventually_retained(state_topic: str, expected: bytes) -> bool:
    for _ in range(20):
        if retained(state_topic, timeout=1.0) == expected:
            return True
    return False
