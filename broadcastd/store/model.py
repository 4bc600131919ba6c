"""What goes into the store and what comes out of it: plain frozen dataclasses."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from broadcastd.contract import ACK_STATES, TERMINAL_STATES


@dataclass(frozen=True)
class BroadcastRecord:
    """One occurrence of one slot for one commune, as the scheduler planned it."""

    broadcast_id: str
    commune: str
    slot: str
    date: date
    """The commune-local date of the occurrence."""
    title: str
    start: datetime
    end: datetime
    priority: int
    volume: int
    send_at: datetime
    item_durations: tuple[float, ...] | None = None
    """Seconds of each item of the `play`, in order; None when not resolved (a cancel
    of a broadcast never sent). Kept once, for the delivery outcomes."""


class AckOutcome(StrEnum):
    """What the store made of one ack; the MQTT side acks the broker for all three."""

    STORED = "stored"
    DUPLICATE = "duplicate"
    UNKNOWN_BROADCAST = "unknown_broadcast"


ON_AIR_STATES = frozenset({"playing", "suspended"})
"""Revision 1.1: a broadcast may go playing -> suspended -> playing while it lasts."""


def state_rank(state: str) -> int:
    """Order of delivery states; the on-air states rank equal, as do the terminal ones
    (last)."""
    if state in TERMINAL_STATES:
        return len(ACK_STATES)
    if state in ON_AIR_STATES:
        return ACK_STATES.index("playing")
    return ACK_STATES.index(state)


def moves_forward(
    current: str | None,
    current_item: int | None,
    new: str,
    new_item: int | None,
    current_at: datetime | None = None,
    new_at: datetime | None = None,
) -> bool:
    """Whether an ack may replace a delivery's last state: never backwards, never after the end.

    Acks arrive out of order (QoS 1 redelivery, resends); a late `received` must not hide
    a `playing`, and a later `playing` item is progress. `playing` and `suspended` rank
    equal and may alternate, but not to an earlier item, nor (when both times are known)
    to an ack the cluster stamped earlier: a redelivered `suspended` must not hide the
    `playing` `resumed` that followed it.
    """
    if current is None:
        return True
    if current in TERMINAL_STATES:
        return False
    old_rank, new_rank = state_rank(current), state_rank(new)
    if new_rank != old_rank:
        return new_rank > old_rank
    old = current_item if current_item is not None else -1
    item = new_item if new_item is not None else -1
    later = current_at is not None and new_at is not None and new_at > current_at
    if new != current:  # suspended, or playing again (resumed): never to an earlier item
        if current_at is not None and new_at is not None and new_at < current_at:
            return False
        return item >= old
    if new == "playing" and item > old:
        return True
    # The same state and item again, said later: `playing` `resumed` after the `playing`
    # it resumes (its detail is news), a second `suspended` by another broadcast.
    return new in ON_AIR_STATES and item == old and later


@dataclass(frozen=True)
class DeliveryView:
    """One broadcast to one cluster: what was sent and the last state it reported."""

    broadcast_id: str
    cluster: str
    sends: int
    first_sent_at: datetime | None
    last_sent_at: datetime | None
    last_send_outcome: str | None
    published_at: datetime | None
    last_state: str | None
    """None while the cluster has acked nothing: pending."""
    last_state_at: datetime | None
    last_item: int | None
    last_detail: str | None


@dataclass(frozen=True)
class BroadcastView:
    """A recorded broadcast; times in UTC."""

    broadcast_id: str
    commune: str
    slot: str
    date: date
    title: str
    start: datetime
    end: datetime
    priority: int
    volume: int
    send_at: datetime
    created_at: datetime
    cancelled_at: datetime | None


@dataclass(frozen=True)
class AckEventView:
    """One stored ack, as the cluster sent it."""

    broadcast_id: str
    cluster: str
    state: str
    item: int | None
    detail: str
    cluster_at: datetime
    received_at: datetime
    stored_at: datetime


@dataclass(frozen=True)
class PresenceView:
    """A cluster's last presence message."""

    commune: str
    cluster: str
    online: bool
    firmware: str | None
    volume: int | None
    changed_at: datetime
    last_seen_at: datetime


@dataclass(frozen=True)
class RejectedView:
    """How many messages were refused for one reason, and the last of them."""

    reason: str
    count: int
    last_at: datetime
    last_topic: str
    last_sample: str


@dataclass(frozen=True)
class RevisionView:
    """The current revision of an occurrence and what it was sent with (None: not yet)."""

    base_id: str
    revision: int
    fingerprint: str | None
