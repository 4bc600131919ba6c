"""Payloads of the speaker contract, version 1.

Builders give the exact JSON the contract shows; parsers accept what a conforming
peer may send (unknown fields ignored, any other `v` rejected) and raise
`ContractError` with a short reason code that the server counts.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

VERSION = 1

# Bounds on what a cluster may send (docs/speaker-contract.md, "What broadcastd
# accepts"). Anything past them is refused, never truncated: a stored row must say
# what the cluster said, and a value the database cannot hold must not reach it.
MAX_PAYLOAD_BYTES = 8192
"""A contract payload is a few hundred bytes; a larger one is refused before parsing."""
MAX_DEPTH = 8
"""Nesting of JSON objects and lists: the contract's own payloads need 3."""
MAX_ITEM = 10_000
MAX_TEXT = 200
"""Characters of `detail`, `firmware` and `broadcast_id`."""
TIME_WINDOW = timedelta(days=366)
"""An ack's `at` further than this from the server's clock is refused."""

ACK_STATES = ("received", "ready", "playing", "suspended", "finished", "stopped", "failed")
TERMINAL_STATES = frozenset({"finished", "stopped", "failed"})


class ContractError(ValueError):
    """A payload that breaks the contract. `reason` is a short code for counting."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def format_time(moment: datetime) -> str:
    """ISO 8601 with an explicit UTC offset, milliseconds only when there are any."""
    if moment.tzinfo is None:
        raise ValueError("contract times must carry a UTC offset")
    spec = "milliseconds" if moment.microsecond else "seconds"
    return moment.isoformat(timespec=spec)


def parse_time(value: object, name: str) -> datetime:
    if not isinstance(value, str):
        raise ContractError("invalid", f"{name} must be an ISO 8601 string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ContractError("invalid", f"{name} is not ISO 8601: {value!r}") from exc
    if moment.tzinfo is None:
        raise ContractError("invalid", f"{name} has no UTC offset: {value!r}")
    return moment


def _encode(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def _decode(payload: bytes) -> dict[str, Any]:
    """The payload's JSON object, within the size and depth bounds.

    `json.loads` raises RecursionError on deep nesting and a plain ValueError on an
    integer of more than 4,300 digits: both are refusals, not bugs.
    """
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise ContractError(
            "too_large", f"payload of {len(payload)} bytes, more than {MAX_PAYLOAD_BYTES}"
        )
    try:
        obj = json.loads(payload.decode("utf-8"))
    except RecursionError as exc:
        raise ContractError("malformed", "JSON nested too deep") from exc
    except (UnicodeDecodeError, ValueError) as exc:
        raise ContractError("malformed", f"not UTF-8 JSON: {exc}") from exc
    if not isinstance(obj, dict):
        raise ContractError("malformed", "payload is not a JSON object")
    if _depth(obj) > MAX_DEPTH:
        raise ContractError("malformed", f"JSON nested deeper than {MAX_DEPTH} levels")
    version = obj.get("v")
    if isinstance(version, bool) or not isinstance(version, int) or version != VERSION:
        raise ContractError("bad_version", f"unsupported v: {version!r}")
    return obj


def _depth(obj: object) -> int:
    """Levels of nested objects and lists, without recursion (the payload is small)."""
    deepest, level = 0, [(obj, 1)]
    while level:
        node, depth = level.pop()
        if isinstance(node, dict | list):
            deepest = max(deepest, depth)
            children = node.values() if isinstance(node, dict) else node
            # Only containers nest: an ack's scalars are not walked one by one.
            level.extend((child, depth + 1) for child in children
                         if isinstance(child, dict | list))
    return deepest


@dataclass(frozen=True, slots=True)
class PlayItem:
    """One item of a play. A `stream` may carry a `fallback` file item (revision 1.1),
    which the cluster fetches ahead and plays while the stream cannot be opened."""

    kind: Literal["file", "stream"]
    url: str
    duration_s: float
    sha256: str | None = None
    title: str | None = None
    fallback: PlayItem | None = None

    def to_obj(self) -> dict[str, Any]:
        obj: dict[str, Any] = {"kind": self.kind, "url": self.url}
        if self.sha256 is not None:
            obj["sha256"] = self.sha256
        obj["duration_s"] = round(self.duration_s, 3)
        if self.title:
            obj["title"] = self.title
        if self.fallback is not None:
            obj["fallback"] = self.fallback.to_obj()
        return obj


@dataclass(frozen=True, slots=True)
class PlayCommand:
    broadcast_id: str
    start: datetime
    end: datetime
    priority: int
    volume: int
    items: tuple[PlayItem, ...]
    sent_at: datetime

    def to_payload(self) -> bytes:
        return _encode(
            {
                "v": VERSION,
                "type": "play",
                "broadcast_id": self.broadcast_id,
                "start": format_time(self.start),
                "end": format_time(self.end),
                "priority": self.priority,
                "volume": self.volume,
                "items": [item.to_obj() for item in self.items],
                "sent_at": format_time(self.sent_at),
            }
        )


@dataclass(frozen=True, slots=True)
class StopCommand:
    broadcast_id: str
    sent_at: datetime

    def to_payload(self) -> bytes:
        return _encode(
            {
                "v": VERSION,
                "type": "stop",
                "broadcast_id": self.broadcast_id,
                "sent_at": format_time(self.sent_at),
            }
        )


@dataclass(frozen=True, slots=True)
class Ack:
    broadcast_id: str
    state: str
    at: datetime
    item: int | None = None
    detail: str = ""

    def to_payload(self) -> bytes:
        obj: dict[str, Any] = {
            "v": VERSION,
            "broadcast_id": self.broadcast_id,
            "state": self.state,
            "at": format_time(self.at),
        }
        if self.item is not None:
            obj["item"] = self.item
        obj["detail"] = self.detail
        return _encode(obj)


@dataclass(frozen=True, slots=True)
class Presence:
    online: bool
    firmware: str | None = None
    volume: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_payload(self) -> bytes:
        obj: dict[str, Any] = {"v": VERSION, "online": self.online}
        if self.firmware is not None:
            obj["firmware"] = self.firmware
        if self.volume is not None:
            obj["volume"] = self.volume
        return _encode(obj)


@dataclass(frozen=True, slots=True)
class ServerPresence:
    """The server's own presence on `<prefix>/server/state` (revision 1.1): retained,
    `online: true` with its version on connect, `online: false` as its Last Will."""

    online: bool
    version: str | None = None

    def to_payload(self) -> bytes:
        obj: dict[str, Any] = {"v": VERSION, "online": self.online}
        if self.version is not None:
            obj["version"] = self.version
        return _encode(obj)


def _string(
    obj: dict[str, Any], name: str, *, required: bool = True, limit: int | None = None
) -> str:
    value = obj.get(name)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value):
        raise ContractError("invalid", f"{name} must be a non-empty string")
    return _bounded(value, name, limit) if limit is not None else value


def _bounded(value: str, name: str, limit: int) -> str:
    """`value` if it has at most `limit` characters and can be stored as UTF-8 text.

    JSON can carry a lone surrogate (`"\\ud800"`), which no UTF-8 database takes, and
    NUL (`"\\u0000"`), which PostgreSQL's text refuses: a cluster's fault, so `invalid`,
    not a store error that would fail the batch of acks it came in.
    """
    if len(value) > limit:
        raise ContractError("invalid", f"{name} longer than {limit} characters")
    if "\x00" in value:
        raise ContractError("invalid", f"{name} contains a NUL character")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ContractError("invalid", f"{name} is not valid Unicode text") from exc
    return value


def _optional_int(
    obj: dict[str, Any], name: str, low: int | None = None, high: int | None = None
) -> int | None:
    value = obj.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ContractError("invalid", f"{name} must be an integer")
    if (low is not None and value < low) or (high is not None and value > high):
        raise ContractError("invalid", f"{name} must be between {low} and {high}")
    return value


def parse_ack(payload: bytes, now: datetime | None = None) -> Ack:
    """An ack within the contract's bounds; with `now`, its `at` within a year of it."""
    obj = _decode(payload)
    state = _string(obj, "state", limit=MAX_TEXT)
    if state not in ACK_STATES:
        raise ContractError("invalid", f"unknown ack state {state!r}")
    detail = obj.get("detail")
    if detail is not None and not isinstance(detail, str):
        raise ContractError("invalid", "detail must be a string")
    at = parse_time(obj.get("at"), "at")
    if now is not None and not _near(at, now):
        raise ContractError("invalid", f"at is more than a year from now: {obj.get('at')!r}")
    return Ack(
        broadcast_id=_string(obj, "broadcast_id", limit=MAX_TEXT),
        state=state,
        at=at,
        item=_optional_int(obj, "item", 0, MAX_ITEM),
        detail=_bounded(detail or "", "detail", MAX_TEXT),
    )


def _near(moment: datetime, now: datetime) -> bool:
    try:
        return abs(moment - now) <= TIME_WINDOW
    except OverflowError:  # year 1 or 9999 with an offset
        return False


def parse_presence(payload: bytes) -> Presence:
    obj = _decode(payload)
    online = obj.get("online")
    if not isinstance(online, bool):
        raise ContractError("invalid", "online must be true or false")
    firmware = obj.get("firmware")
    if firmware is not None and not isinstance(firmware, str):
        raise ContractError("invalid", "firmware must be a string")
    return Presence(
        online=online,
        firmware=None if firmware is None else _bounded(firmware, "firmware", MAX_TEXT),
        volume=_optional_int(obj, "volume", 0, 100),
    )


def parse_server_presence(payload: bytes) -> ServerPresence:
    """A cluster's (or a monitor's) reading of `<prefix>/server/state`."""
    obj = _decode(payload)
    online = obj.get("online")
    if not isinstance(online, bool):
        raise ContractError("invalid", "online must be true or false")
    version = obj.get("version")
    if version is not None and not isinstance(version, str):
        raise ContractError("invalid", "version must be a string")
    return ServerPresence(online=online, version=version)


def _parse_fallback(obj: dict[str, Any], kind: str) -> PlayItem | None:
    """A stream's `fallback`: one file item with its sha256, or absent."""
    value = obj.get("fallback")
    if value is None:
        return None
    if kind != "stream":
        raise ContractError("invalid", "only a stream item may have a fallback")
    fallback = _parse_item(value)
    if fallback.kind != "file":
        raise ContractError("invalid", "a fallback must be a file item")
    return fallback


def _parse_item(obj: object) -> PlayItem:
    if not isinstance(obj, dict):
        raise ContractError("invalid", "an item must be an object")
    kind = obj.get("kind")
    if kind not in ("file", "stream"):
        raise ContractError("invalid", f"unknown item kind {kind!r}")
    duration = obj.get("duration_s")
    if isinstance(duration, bool) or not isinstance(duration, int | float) or duration < 0:
        raise ContractError("invalid", "duration_s must be a non-negative number")
    sha = obj.get("sha256")
    if kind == "file" and not isinstance(sha, str):
        raise ContractError("invalid", "a file item needs its sha256")
    return PlayItem(
        kind=kind,
        url=_string(obj, "url"),
        duration_s=float(duration),
        sha256=sha if isinstance(sha, str) else None,
        title=obj.get("title") if isinstance(obj.get("title"), str) else None,
        fallback=_parse_fallback(obj, kind),
    )


def parse_command(payload: bytes) -> PlayCommand | StopCommand:
    """The cluster side's reading of a `cmd` payload (used by the simulator and tests)."""
    obj = _decode(payload)
    kind = obj.get("type")
    broadcast_id = _string(obj, "broadcast_id")
    sent_at = parse_time(obj.get("sent_at"), "sent_at")
    if kind == "stop":
        return StopCommand(broadcast_id=broadcast_id, sent_at=sent_at)
    if kind != "play":
        raise ContractError("invalid", f"unknown command type {kind!r}")
    items = obj.get("items")
    if not isinstance(items, list):
        raise ContractError("invalid", "items must be a list")
    priority, volume = _optional_int(obj, "priority"), _optional_int(obj, "volume")
    if priority is None or volume is None or not 0 <= volume <= 100:
        raise ContractError("invalid", "priority and volume (0-100) are required")
    return PlayCommand(
        broadcast_id=broadcast_id,
        start=parse_time(obj.get("start"), "start"),
        end=parse_time(obj.get("end"), "end"),
        priority=priority,
        volume=volume,
        items=tuple(_parse_item(item) for item in items),
        sent_at=sent_at,
    )
