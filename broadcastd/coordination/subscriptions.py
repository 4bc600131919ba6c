"""What a daemon subscribes to when several share a province.

Acks through an MQTT shared subscription (`$share/broadcastd/<filter>`, MQTT 5, and
Mosquitto for 3.1.1 clients too): the broker hands each ack to one daemon of the
group, which stores it. Presence stays unshared: every daemon must see every
cluster's state (and retained messages are never delivered to a shared subscription).
Without shared subscriptions every daemon receives every ack; the unique ack key
keeps one row of each.
"""

from __future__ import annotations

from broadcastd.contract.topics import TopicKind

GROUP = "broadcastd"


def ack_filter(prefix: str) -> str:
    return f"{prefix}/+/+/{TopicKind.ACK.value}"


def state_filter(prefix: str) -> str:
    return f"{prefix}/+/+/{TopicKind.STATE.value}"


def shared(name: str) -> str:
    return f"$share/{GROUP}/{name}"


def filters(prefix: str, *, shared_acks: bool) -> list[str]:
    acks = ack_filter(prefix)
    return [shared(acks) if shared_acks else acks, state_filter(prefix)]


def every_filter(prefix: str) -> list[str]:
    """Whatever a daemon of this prefix may have subscribed to, shared or not."""
    return [ack_filter(prefix), shared(ack_filter(prefix)), state_filter(prefix)]
