"""The contract module: topics and payloads exactly as speaker vendors read them."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from broadcastd.contract import (
    Ack,
    ContractError,
    PlayCommand,
    PlayItem,
    ServerPresence,
    StopCommand,
    TopicKind,
    parse_ack,
    parse_command,
    parse_presence,
    parse_server_presence,
    parse_topic,
    server_state_topic,
    topic,
)
from broadcastd.contract.topics import ID_PATTERN, client_id, is_valid_id, subscriptions

HANOI = timezone(timedelta(hours=7))


def test_topics_are_built_and_read_back() -> None:
    name = topic("broadcast", "man-lan", "loa-01", TopicKind.CMD)
    assert name == "broadcast/man-lan/loa-01/cmd"
    parsed = parse_topic("broadcast", name)
    assert parsed is not None and (parsed.commune, parsed.cluster) == ("man-lan", "loa-01")
    assert client_id("man-lan", "loa-01") == "man-lan.loa-01"
    assert subscriptions("broadcast") == ["broadcast/+/+/ack", "broadcast/+/+/state"]


@pytest.mark.parametrize(
    "name",
    [
        "other/man-lan/loa-01/ack",
        "broadcast/man-lan/loa-01/ack/extra",
        "broadcast/Man-Lan/loa-01/ack",
        "broadcast/man-lan/loa-01/volume",
        "broadcast/-man/loa-01/ack",
    ],
)
def test_topics_outside_the_contract_are_not_read(name: str) -> None:
    assert parse_topic("broadcast", name) is None


def test_a_play_payload_matches_the_contract_example() -> None:
    play = PlayCommand(
        broadcast_id="man-lan/morning/2026-11-29",
        start=datetime(2026, 11, 29, 5, 30, tzinfo=HANOI),
        end=datetime(2026, 11, 29, 6, 0, tzinfo=HANOI),
        priority=0,
        volume=80,
        items=(
            PlayItem("file", "http://10.0.0.2:8080/audio/3f.mp3", 612.4, "3f", "Bản tin sáng"),
            PlayItem("stream", "http://radio.example/live", 1187.6),
        ),
        sent_at=datetime(2026, 11, 29, 5, 28, tzinfo=HANOI),
    )
    obj = json.loads(play.to_payload())
    assert obj == {
        "v": 1,
        "type": "play",
        "broadcast_id": "man-lan/morning/2026-11-29",
        "start": "2026-11-29T05:30:00+07:00",
        "end": "2026-11-29T06:00:00+07:00",
        "priority": 0,
        "volume": 80,
        "items": [
            {"kind": "file", "url": "http://10.0.0.2:8080/audio/3f.mp3", "sha256": "3f",
             "duration_s": 612.4, "title": "Bản tin sáng"},
            {"kind": "stream", "url": "http://radio.example/live", "duration_s": 1187.6},
        ],
        "sent_at": "2026-11-29T05:28:00+07:00",
    }
    assert "Bản tin sáng".encode() in play.to_payload()  # UTF-8, not \u escapes
    assert parse_command(play.to_payload()) == play


def test_a_stop_round_trips() -> None:
    stop = StopCommand("man-lan/morning/2026-11-29", datetime(2026, 11, 29, 5, 41, 10, tzinfo=HANOI))
    assert parse_command(stop.to_payload()) == stop


def test_an_ack_with_unknown_fields_is_read() -> None:
    ack = parse_ack(
        b'{"v":1,"broadcast_id":"man-lan/morning/2026-11-29","state":"playing",'
        b'"at":"2026-11-29T05:30:00.120+07:00","item":0,"detail":"","battery":93}'
    )
    assert ack == Ack(
        "man-lan/morning/2026-11-29", "playing",
        datetime(2026, 11, 29, 5, 30, 0, 120000, tzinfo=HANOI), 0, "",
    )
    assert parse_ack(ack.to_payload()) == ack


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (b"\xff\xfe", "malformed"),
        (b"{not json", "malformed"),
        (b"[1, 2]", "malformed"),
        (b'{"v": 2, "broadcast_id": "a", "state": "received", "at": "2026-11-29T05:30:00+07:00"}',
         "bad_version"),
        (b'{"broadcast_id": "a", "state": "received", "at": "2026-11-29T05:30:00+07:00"}',
         "bad_version"),
        (b'{"v": 1, "broadcast_id": "a", "state": "dancing", "at": "2026-11-29T05:30:00+07:00"}',
         "invalid"),
        (b'{"v": 1, "broadcast_id": "a", "state": "received", "at": "2026-11-29T05:30:00"}',
         "invalid"),
        (b'{"v": 1, "state": "received", "at": "2026-11-29T05:30:00+07:00"}', "invalid"),
        (
            (b'{"v": 1, "broadcast_id": "a", "state": "playing", "item": "one",'
             b' "at": "2026-11-29T05:30:00+07:00"}'),
            "invalid",
        ),
    ],
)
def test_bad_acks_are_refused_with_a_reason(payload: bytes, reason: str) -> None:
    with pytest.raises(ContractError) as refused:
        parse_ack(payload)
    assert refused.value.reason == reason


def test_presence_and_its_last_will() -> None:
    online = parse_presence(b'{"v":1,"online":true,"firmware":"2.1","volume":80}')
    assert (online.online, online.firmware, online.volume) == (True, "2.1", 80)
    assert parse_presence(b'{"v":1,"online":false}').online is False
    with pytest.raises(ContractError):
        parse_presence(b'{"v":1,"online":"yes"}')


NOW = datetime(2026, 11, 29, 5, 30, tzinfo=HANOI)


def _ack_with(extra: str, at: str = "2026-11-29T05:30:00+07:00") -> bytes:
    return ('{"v":1,"broadcast_id":"a","state":"playing","at":"' + at + '"' + extra + "}").encode()


@pytest.mark.parametrize(
    ("payload", "reason"),
    [
        (_ack_with(',"item":10001'), "invalid"),
        (_ack_with(',"item":-1'), "invalid"),
        (_ack_with(',"item":18446744073709551616'), "invalid"),
        (_ack_with(',"detail":"' + "x" * 201 + '"'), "invalid"),
        (_ack_with(',"detail":"\\ud800"'), "invalid"),
        (_ack_with(',"detail":"disk\\u0000full"'), "invalid"),  # PostgreSQL text has no NUL
        (_ack_with("").replace(b'"a"', b'"a\\u0000"'), "invalid"),
        (_ack_with(',"detail":7'), "invalid"),
        (_ack_with("").replace(b'"a"', b'"\\udfff"'), "invalid"),
        (_ack_with("").replace(b'"a"', b'"' + b"a" * 201 + b'"'), "invalid"),
        (_ack_with("", at="2028-01-01T00:00:00+07:00"), "invalid"),
        (_ack_with("", at="0001-01-01T00:00:00+14:00"), "invalid"),
        (_ack_with("", at="9999-12-31T23:59:59-14:00"), "invalid"),
        (_ack_with(',"x":' + "[" * 1000 + "]" * 1000), "malformed"),
        (_ack_with(',"x":' + "[" * 8 + "]" * 8), "malformed"),
        (_ack_with(',"item":' + "9" * 5000), "malformed"),
        (_ack_with(',"pad":"' + "x" * 9000 + '"'), "too_large"),
        (_ack_with("").replace(b'"v":1', b'"v":true'), "bad_version"),
        (_ack_with("").replace(b'"v":1', b'"v":1.0'), "bad_version"),
    ],
)
def test_acks_past_the_bounds_are_refused(payload: bytes, reason: str) -> None:
    with pytest.raises(ContractError) as refused:
        parse_ack(payload, NOW)
    assert refused.value.reason == reason


def test_acks_at_the_bounds_are_read() -> None:
    detail = "đ" * 200
    ack = parse_ack(_ack_with(f',"item":10000,"detail":"{detail}"', at="2027-11-29T05:30:00+07:00"),
                    NOW)
    assert (ack.item, ack.detail) == (10_000, detail)
    assert parse_ack(_ack_with(',"x":' + "[" * 7 + "]" * 7), NOW).item is None


@pytest.mark.parametrize(
    "payload",
    [
        b'{"v":1,"online":true,"volume":18446744073709551616}',
        b'{"v":1,"online":true,"volume":101}',
        b'{"v":1,"online":true,"volume":-1}',
        b'{"v":1,"online":true,"firmware":"\\ud800"}',
        b'{"v":1,"online":true,"firmware":"fw\\u00001.2"}',
        b'{"v":1,"online":true,"firmware":"' + b"x" * 201 + b'"}',
    ],
)
def test_presence_past_the_bounds_is_invalid(payload: bytes) -> None:
    with pytest.raises(ContractError) as refused:
        parse_presence(payload)
    assert refused.value.reason == "invalid"


@pytest.mark.parametrize("name", ["loa-01\n", "loa-01\r\n", " loa-01", "Loa-01", "a" * 64, ""])
def test_an_id_is_checked_whole(name: str) -> None:
    assert not is_valid_id(name)
    assert ID_PATTERN.match(name) is None  # callers that use .match are safe too


# -- revision 1.1 ------------------------------------------------------------------------

def test_suspended_is_an_ack_state_that_names_the_broadcast_that_took_over() -> None:
    ack = parse_ack(
        b'{"v":1,"broadcast_id":"man-lan/morning/2026-11-29","state":"suspended",'
        b'"at":"2026-11-29T05:41:00+07:00","item":1,"detail":"man-lan/announce-054100/2026-11-29"}'
    )
    assert (ack.state, ack.item, ack.detail) == (
        "suspended", 1, "man-lan/announce-054100/2026-11-29")
    assert parse_ack(ack.to_payload()) == ack


FALLBACK = PlayItem("file", "http://10.0.0.2:8080/audio/9c1d.mp3", 180.0, "9c1d", "Nhạc nền")


def test_a_stream_with_a_fallback_matches_the_contract_example_and_round_trips() -> None:
    stream = PlayItem("stream", "http://radio.example/live", 1187.6, fallback=FALLBACK)
    assert stream.to_obj() == {
        "kind": "stream", "url": "http://radio.example/live", "duration_s": 1187.6,
        "fallback": {"kind": "file", "url": "http://10.0.0.2:8080/audio/9c1d.mp3",
                     "sha256": "9c1d", "duration_s": 180.0, "title": "Nhạc nền"},
    }
    play = PlayCommand("man-lan/morning/2026-11-29",
                       datetime(2026, 11, 29, 5, 30, tzinfo=HANOI),
                       datetime(2026, 11, 29, 6, 0, tzinfo=HANOI), 0, 80, (stream,),
                       datetime(2026, 11, 29, 5, 28, tzinfo=HANOI))
    assert parse_command(play.to_payload()) == play


def _play_with(item: str) -> bytes:
    return (
        '{"v":1,"type":"play","broadcast_id":"b","start":"2026-11-29T05:30:00+07:00",'
        '"end":"2026-11-29T06:00:00+07:00","priority":0,"volume":80,'
        f'"items":[{item}],"sent_at":"2026-11-29T05:28:00+07:00"}}'
    ).encode()


@pytest.mark.parametrize(
    "item",
    [
        # the fallback is a stream, not a file
        ('{"kind":"stream","url":"http://r/live","duration_s":60,'
        '"fallback":{"kind":"stream","url":"http://r/other","duration_s":60}}'),
        # the fallback file has no sha256: it could not be verified ahead
        ('{"kind":"stream","url":"http://r/live","duration_s":60,'
        '"fallback":{"kind":"file","url":"http://a/x.mp3","duration_s":60}}'),
        # not an object
        '{"kind":"stream","url":"http://r/live","duration_s":60,"fallback":"nhac-nen"}',
        # a file item has no fallback
        ('{"kind":"file","url":"http://a/y.mp3","sha256":"ab","duration_s":60,'
        '"fallback":{"kind":"file","url":"http://a/x.mp3","sha256":"cd","duration_s":60}}'),
    ],
)
def test_a_bad_fallback_is_refused(item: str) -> None:
    with pytest.raises(ContractError) as refused:
        parse_command(_play_with(item))
    assert refused.value.reason == "invalid"


def test_the_server_presence_and_its_last_will() -> None:
    assert ServerPresence(True, "1.4.0").to_payload() == b'{"v":1,"online":true,"version":"1.4.0"}'
    assert ServerPresence(False).to_payload() == b'{"v":1,"online":false}'
    assert parse_server_presence(b'{"v":1,"online":true,"version":"1.4.0","host":"a"}') == (
        ServerPresence(True, "1.4.0"))
    assert parse_server_presence(b'{"v":1,"online":false}') == ServerPresence(False)
    for bad in (b'{"v":1,"online":"yes"}', b'{"v":1,"online":true,"version":14}',
                b'{"v":2,"online":true}'):
        with pytest.raises(ContractError):
            parse_server_presence(bad)


def test_the_server_topic_is_never_read_as_a_cluster_topic() -> None:
    assert server_state_topic("broadcast") == "broadcast/server/state"
    assert parse_topic("broadcast", server_state_topic("broadcast")) is None
    # a commune may be called `server`: its clusters' topics are one level longer
    cluster = topic("broadcast", "server", "loa-01", TopicKind.STATE)
    parsed = parse_topic("broadcast", cluster)
    assert parsed is not None and (parsed.commune, parsed.cluster) == ("server", "loa-01")
    assert not any(_matches(pattern, server_state_topic("broadcast"))
                   for pattern in subscriptions("broadcast"))


def _matches(pattern: str, name: str) -> bool:
    """MQTT wildcard matching, for `+` only (all the server subscribes with)."""
    want, got = pattern.split("/"), name.split("/")
    return len(want) == len(got) and all(w in ("+", g) for w, g in zip(want, got, strict=True))
