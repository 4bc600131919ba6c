"""Fuzzed `ack` and `state` payloads, generated in-process with hypothesis, and what
the contract says the daemon must make of each: an independent statement of the
bounds in docs/speaker-contract.md ("What broadcastd accepts"), so the daemon's parser
is checked against the page, not against itself."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st

STATES = ("received", "ready", "playing", "finished", "stopped", "failed")
MAX_BYTES, MAX_DEPTH, MAX_TEXT, MAX_ITEM = 8192, 8, 200, 10_000


@dataclass(frozen=True)
class Fuzzed:
    kind: str  # "ack" or "state"
    cluster: str
    payload: bytes


def _deep(levels: int) -> Any:
    value: Any = 0
    for _ in range(levels):
        value = [value]
    return value


def _times(now: datetime) -> st.SearchStrategy[Any]:
    near = st.integers(-300, 300).map(lambda days: now + timedelta(days=days))
    far = st.integers(2, 8000).flatmap(
        lambda years: st.sampled_from([now.year + years, now.year - years])
    ).map(lambda year: f"{max(1, min(9999, year)):04d}-06-01T00:00:00+07:00")
    offsets = st.sampled_from(["+07:00", "Z", "+00:00", "-14:00", ""])
    return st.one_of(
        st.tuples(near, offsets).map(lambda p: p[0].strftime("%Y-%m-%dT%H:%M:%S") + p[1]),
        near.map(lambda moment: moment.isoformat()),
        far,
        st.sampled_from(
            ["", "yesterday", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"]
        ),
        st.integers(), st.none(),
    )


def _texts() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.text(max_size=20),
        st.integers(195, 205).map(lambda size: "đ" * size),
        st.sampled_from(["\ud800", "ok\udfff", "đã phát", "\x00", ""]),
        st.integers(), st.none(), st.booleans(), st.lists(st.integers(), max_size=2),
    )


def _integers(low: int, high: int) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.integers(low - 2, high + 2),
        st.sampled_from([low, high, 2**63, 2**64, -(2**64), 10**30]),
        st.floats(allow_nan=False, allow_infinity=False), st.booleans(), st.text(max_size=3),
        st.none(),
    )


def _extra() -> st.SearchStrategy[Any]:
    """Unknown fields, which a v1 payload may carry: sometimes too deep or too big."""
    return st.one_of(
        st.integers(), st.text(max_size=10),
        st.integers(1, 12).map(_deep),
        st.integers(7_000, 9_000).map(lambda size: "x" * size),
    )


_DROP = object()


def _mutated(
    valid: st.SearchStrategy[dict[str, Any]], fuzzed: dict[str, st.SearchStrategy[Any]]
) -> st.SearchStrategy[dict[str, Any]]:
    """A valid object with 0-3 mutations: a field dropped, or given a fuzzed value."""
    mutation = st.one_of(
        st.tuples(st.sampled_from(sorted(fuzzed)), st.just(_DROP)),
        *(st.tuples(st.just(name), values) for name, values in fuzzed.items()),
    )

    def apply(pair: tuple[dict[str, Any], list[tuple[str, Any]]]) -> dict[str, Any]:
        obj, changes = pair
        for name, value in changes:
            if value is _DROP:
                obj.pop(name, None)
            else:
                obj[name] = value
        return obj

    return st.tuples(valid, st.lists(mutation, max_size=3)).map(apply)


def ack_objects(broadcast_id: str, now: datetime) -> st.SearchStrategy[dict[str, Any]]:
    valid = st.fixed_dictionaries(
        {
            "v": st.just(1),
            "broadcast_id": st.just(broadcast_id),
            "state": st.sampled_from(STATES),
            "at": st.integers(-300, 300).map(lambda d: (now + timedelta(days=d)).isoformat()),
        },
        optional={
            "item": st.integers(0, MAX_ITEM),
            "detail": st.sampled_from(["", "expired", "fetch", "resumed", "đã phát"]),
        },
    )
    return _mutated(valid, {
        "v": st.sampled_from([0, 2, True, "1", 1.0, None]),
        "broadcast_id": st.one_of(_texts(), st.just(broadcast_id + "x")),
        "state": st.one_of(st.sampled_from(STATES), _texts()),
        "at": _times(now),
        "item": _integers(0, MAX_ITEM),
        "detail": _texts(),
        "extra": _extra(),
    })


def state_objects() -> st.SearchStrategy[dict[str, Any]]:
    valid = st.fixed_dictionaries(
        {"v": st.just(1), "online": st.booleans()},
        optional={"firmware": st.sampled_from(["2.1", "sim-1.0", "v3 đ"]),
                  "volume": st.integers(0, 100)},
    )
    return _mutated(valid, {
        "v": st.sampled_from([0, 2, True, None]),
        "online": st.one_of(st.integers(0, 1), st.none(), st.text(max_size=3)),
        "firmware": _texts(),
        "volume": _integers(0, 100),
        "extra": _extra(),
    })


def _payload(obj: dict[str, Any]) -> bytes:
    return json.dumps(obj, ensure_ascii=True).encode()  # ASCII escapes keep lone surrogates


def messages(
    count: int, clusters: tuple[str, ...], broadcast_id: str, now: datetime, at_seed: int
) -> list[Fuzzed]:
    """`count` fuzzed messages, about two acks for one state, a few raw byte strings."""
    raw = st.one_of(
        st.binary(max_size=64),
        st.sampled_from([b"", b"null", b"[]", b'{"v":1', b"\xff\xfe", b"[" * 2000]),
    )
    def mostly(objects: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[bytes]:
        """The objects' JSON, and raw bytes one time in twenty."""
        return st.tuples(st.integers(0, 19), objects.map(_payload), raw).map(
            lambda t: t[2] if t[0] == 0 else t[1]
        )

    acks, states = mostly(ack_objects(broadcast_id, now)), mostly(state_objects())
    cluster = st.sampled_from(clusters)
    one = st.one_of(  # about two acks for one state; one payload in twenty raw bytes
        st.builds(Fuzzed, st.just("ack"), cluster, acks),
        st.builds(Fuzzed, st.just("ack"), cluster, acks),
        st.builds(Fuzzed, st.just("state"), cluster, states),
    )
    found: list[Fuzzed] = []
    batch = 10  # drawn as lists: hypothesis's cost is mostly per example, not per draw

    @seed(at_seed)
    @settings(max_examples=-(-count // batch), database=None, phases=[Phase.generate],
              deadline=None, suppress_health_check=list(HealthCheck))
    @given(st.lists(one, min_size=batch, max_size=batch))
    def collect(drawn: list[Fuzzed]) -> None:
        found.extend(drawn)

    collect()
    return found[:count]


# -- what the contract says becomes of each ---------------------------------------------------



def _depth(value: Any) -> int:
    if isinstance(value, dict):
        return 1 + max((_depth(v) for v in value.values()), default=0)
    if isinstance(value, list):
        return 1 + max((_depth(v) for v in value), default=0)
    return 0


def _text_ok(value: Any, required: bool) -> bool:
    if value is None:
        return not required
    if not isinstance(value, str) or (required and not value) or len(value) > MAX_TEXT:
        return False
    if "\x00" in value:  # PostgreSQL's text refuses NUL
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _int_ok(value: Any, low: int, high: int) -> bool:
    return value is None or (type(value) is int and low <= value <= high)


def _time_ok(value: Any, now: datetime) -> bool:
    if not isinstance(value, str):
        return False
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return False
    if moment.tzinfo is None:
        return False
    try:
        return abs(moment - now) <= timedelta(days=366)
    except OverflowError:
        return False


def _decoded(payload: bytes) -> dict[str, Any] | str:
    """The payload's object, or the reason it is refused before its fields are read."""
    if len(payload) > MAX_BYTES:
        return "too_large"
    try:
        obj = json.loads(payload.decode("utf-8"))
    except (ValueError, RecursionError):
        return "malformed"
    if not isinstance(obj, dict) or _depth(obj) > MAX_DEPTH:
        return "malformed"
    if type(obj.get("v")) is not int or obj.get("v") != 1:
        return "bad_version"
    return obj


def expected_ack(payload: bytes, broadcast_id: str, now: datetime) -> str:
    """"stored", or the reason it is refused."""
    obj = _decoded(payload)
    if isinstance(obj, str):
        return obj
    valid = (
        _text_ok(obj.get("broadcast_id"), True)
        and isinstance(obj.get("state"), str) and obj["state"] in STATES
        and _time_ok(obj.get("at"), now)
        and _int_ok(obj.get("item"), 0, MAX_ITEM)
        and _text_ok(obj.get("detail"), False)
    )
    if not valid:
        return "invalid"
    return "stored" if obj["broadcast_id"] == broadcast_id else "unknown_broadcast"


def expected_state(payload: bytes) -> str:
    """"stored", "ignored" (an empty payload clears a retained state), or a reason."""
    if not payload:
        return "ignored"
    obj = _decoded(payload)
    if isinstance(obj, str):
        return obj
    valid = (
        isinstance(obj.get("online"), bool)
        and _text_ok(obj.get("firmware"), False)
        and _int_ok(obj.get("volume"), 0, 100)
    )
    return "stored" if valid else "invalid"

