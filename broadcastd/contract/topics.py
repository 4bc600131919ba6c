"""Topic names: `<prefix>/<commune>/<cluster>/{cmd,ack,state}`, and the server's own
presence at `<prefix>/server/state` (revision 1.1)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")


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
    return bool(ID_PATTERN.match(value))


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
