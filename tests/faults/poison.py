"""Messages that used to stop ack intake (issue 8, defect 1), each with the reason the
daemon must refuse it under. Shared by the poison test and the long run."""

from __future__ import annotations

from datetime import UTC, datetime

from broadcastd.contract.topics import TopicKind

NOW = datetime.now(UTC).isoformat()


def _ack(fields: str, bid: str) -> bytes:
    head = f'{{"v":1,"broadcast_id":"{bid}","state":"playing","at":"{NOW}"'
    return (head + fields + "}").encode()


def poison(bid: str) -> list[tuple[str, TopicKind, bytes, str]]:
    """(name, topic kind, payload, expected reason)."""
    deep = b"[" * 1000 + b"]" * 1000
    return [
        ("deep ack", TopicKind.ACK, b'{"v":1,"x":' + deep + b"}", "malformed"),
        ("deep state", TopicKind.STATE, deep, "malformed"),
        ("huge volume", TopicKind.STATE, b'{"v":1,"online":true,"volume":18446744073709551616}',
         "invalid"),
        ("surrogate firmware", TopicKind.STATE, b'{"v":1,"online":true,"firmware":"\\ud800"}',
         "invalid"),
        ("long firmware", TopicKind.STATE,
         b'{"v":1,"online":true,"firmware":"' + b"x" * 201 + b'"}', "invalid"),
        ("huge item", TopicKind.ACK, _ack(',"item":18446744073709551616', bid), "invalid"),
        ("item past bound", TopicKind.ACK, _ack(',"item":10001', bid), "invalid"),
        ("surrogate detail", TopicKind.ACK, _ack(',"detail":"\\udfff"', bid), "invalid"),
        ("long detail", TopicKind.ACK, _ack(',"detail":"' + "đ" * 201 + '"', bid), "invalid"),
        ("surrogate broadcast", TopicKind.ACK, _ack("", "\\ud800"), "invalid"),
        ("year one", TopicKind.ACK,
         b'{"v":1,"broadcast_id":"%s","state":"playing","at":"0001-01-01T00:00:00+14:00"}'
         % bid.encode(), "invalid"),
        ("5000 digits", TopicKind.ACK, _ack(',"item":' + "9" * 5000, bid), "malformed"),
        ("100 KB", TopicKind.ACK, _ack(',"pad":"' + "x" * 100_000 + '"', bid), "too_large"),
    ]
