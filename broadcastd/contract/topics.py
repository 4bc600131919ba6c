"""Topic names: `<prefix>/<commune>/<cluster>/{cmd,ack,state}`, and the server's own
presence at `<prefix>/server/state` (revision 1.1)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

ID_RULE = r"[a-z0-9][a-z0-9-]{0,62}"
"""Commune, cluster and slot ids (contract: Names), without anchors."""
# `\Z`, not `$`: Python's `$` also matches before a trailing newline, and an id
# "c01\n" written into Mosquitto's ACL makes the broker refuse the whole file.
ID_PATTERN = re.compile(rf"^{ID_RULE}\Z")

REVISION_MARK = "~"
BROADCAST_ID_PATTERN = re.compile(
    rf"^(?P<commune>{ID_RULE})/(?P<slot>{ID_RULE})/(?P<date>[0-9]{{4}}-[0-9]{{2}}-[0-9]{{2}})"
    rf"(?:{REVISION_MARK}(?P<revision>[2-9]|[1-9][0-9]{{1,5}}))?\Z"
)
"""`<commune>/<slot>/<date>`, or `<commune>/<slot>/<date>~N` (N >= 2) for the N-th
revision of an occurrence changed after it was sent (contract: play)."""


class TopicKind(StrEnum):
    CMD = "cmd"
    ACK = "ack"
    STATE = "state"


@dataclass(frozen=True, slots=True)
class Topic:
    commune: str
    cluster: str
    kind: TopicKind


def is_valid_id(value: str) -> bool:
    """Commune, cluster and slot ids never hold `/`, `+` or `#` (contract: Names)."""
    return ID_PATTERN.fullmatch(value) is not None


def split_broadcast_id(value: str) -> tuple[str, int] | None:
    """(`<commune>/<slot>/<date>`, revision) of a scheduled broadcast's id, or None
    when the id is not one: `man-lan/morning/2026-11-29~2` -> (`.../2026-11-29`, 2)."""
    match = BROADCAST_ID_PATTERN.fullmatch(value)
    if match is None:
        return None
    revision = match.group("revision")
    base = value if revision is None else value[: match.start("revision") - 1]
    return base, int(revision or 1)


SERVER_STATE = "server/state"


def server_state_topic(prefix: str) -> str:
    """Where the server publishes its presence, retained, with its Last Will. One level
    shorter than a cluster topic, so `parse_topic` and the `+/+` subscriptions never take
    it for one, even in a deployment with a commune called `server`."""
    return f"{prefix}/{SERVER_STATE}"


def topic(prefix: str, commune: str, cluster: str, kind: TopicKind) -> str:
    return f"{prefix}/{commune}/{cluster}/{kind.value}"


def subscriptions(prefix: str) -> list[str]:
    """What the server listens to: every cluster's acks and presence."""
    return [f"{prefix}/+/+/{TopicKind.ACK.value}", f"{prefix}/+/+/{TopicKind.STATE.value}"]


def parse_topic(prefix: str, name: str) -> Topic | None:
    """The topic's parts, or None when it is not a contract topic under `prefix`."""
    head = prefix + "/"
    if not name.startswith(head):
        return None
    parts = name[len(head):].split("/")
    if len(parts) != 3:
        return None
    commune, cluster, kind = parts
    if not (is_valid_id(commune) and is_valid_id(cluster)):
        return None
    try:
        return Topic(commune, cluster, TopicKind(kind))
    except ValueError:
        return None


def client_id(commune: str, cluster: str) -> str:
    """A cluster's MQTT client id (contract: Names)."""
    return f"{commune}.{cluster}"
