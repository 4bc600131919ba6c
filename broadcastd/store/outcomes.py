"""What each cluster actually did with a broadcast, once it is over: pure, given the clock.

An outcome is decided from the delivery's stored ack events (each with the cluster's own
`at`), the broadcast's window and items, and its cancellation. Rules, in this order:

1. `failed`: the cluster acked `failed` (the detail says why: `expired`, `checksum`, ...).
2. `cancelled`: the broadcast was cancelled (or replaced by a revision), or this cluster
   was sent a `stop` (acked `stopped` without detail `preempted`).
3. `preempted`: acked `stopped` with detail `preempted` (its window passed under a
   higher-priority broadcast), or its last on-air ack was `suspended` (it never got the
   speaker back before the end).
4. `missed`: it never acked `playing` (offline, silent, or it got the play too late).
5. `played`: it acked `playing` for every item it was due to play, and `finished`.
6. `partial`: anything less than that.

An item is *due* when its place in the playlist (by the clock, from `start`) begins
before `end`, unless its whole time fell while the cluster was `suspended` (a higher-
priority broadcast held the speaker: the contract makes it skip that part, so it is not
counted against it). Items skipped by joining in progress (the cluster came online, or
the play reached it, after `start`) are due and not heard: that is `partial`. A `playing`
with detail `unavailable` (a stream that could not be opened, and no fallback) is not
hearing the item; with detail `fallback` it is. A broadcast recorded without its items'
durations is judged by `finished` alone.

Before the end (and while not cancelled) there is no outcome: the live state says more.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol


class Outcome(StrEnum):
    played = "played"
    partial = "partial"
    missed = "missed"
    preempted = "preempted"
    cancelled = "cancelled"
    failed = "failed"


class AckEvent(Protocol):
    """What an outcome needs of a stored ack (`AckEventView` has it)."""

    @property
    def state(self) -> str: ...
    @property
    def item(self) -> int | None: ...
    @property
    def detail(self) -> str: ...
    @property
    def cluster_at(self) -> datetime: ...


@dataclass(frozen=True)
class DeliveryOutcome:
    outcome: Outcome
    detail: str
    """Why, in words: the failure's detail, which items were not heard, ..."""


@dataclass(frozen=True)
class Plan:
    """What a delivery is measured against: the broadcast's window, items and cancel."""

    start: datetime
    end: datetime
    durations: Sequence[float] | None
    """Seconds of each item of the `play`, in order; None when not recorded."""
    cancelled_at: datetime | None = None


UNHEARD = "unavailable"
"""`playing` detail of a stream that plays nothing (no fallback): not heard."""


def settled(plan: Plan, now: datetime) -> bool:
    """Whether the broadcast is over, so its deliveries have outcomes."""
    return now >= plan.end or (plan.cancelled_at is not None and plan.cancelled_at <= now)


def delivery_outcome(
    plan: Plan, events: Sequence[AckEvent], now: datetime
) -> DeliveryOutcome | None:
    """The outcome of one delivery, or None while its broadcast is not over."""
    if not settled(plan, now):
        return None
    ordered = sorted(events, key=lambda e: e.cluster_at)
    final = next((e for e in ordered if e.state in ("failed", "stopped", "finished")), None)
    if final is not None and final.state == "failed":
        return DeliveryOutcome(Outcome.failed, final.detail or "failed")
    if plan.cancelled_at is not None:
        return DeliveryOutcome(Outcome.cancelled, "the broadcast was cancelled")
    if final is not None and final.state == "stopped":
        if final.detail == "preempted":
            return DeliveryOutcome(
                Outcome.preempted, "a higher-priority broadcast held the speaker to the end"
            )
        return DeliveryOutcome(Outcome.cancelled, "stopped on request")
    playing = [e for e in ordered if e.state == "playing"]
    if not playing:
        last = ordered[-1].state if ordered else None
        return DeliveryOutcome(
            Outcome.missed, f"never played (last ack: {last})" if last else "never acked"
        )
    on_air = [e for e in ordered if e.state in ("playing", "suspended")]
    if on_air[-1].state == "suspended" and final is None:
        return DeliveryOutcome(
            Outcome.preempted, f"suspended until the end by {on_air[-1].detail or 'another'}"
        )
    unheard = _unheard_items(plan, playing, _suspensions(on_air, plan.end))
    finished = final is not None and final.state == "finished"
    if not unheard and finished:
        return DeliveryOutcome(Outcome.played, "")
    reasons = []
    if unheard:
        count = len(plan.durations or ())
        reasons.append(
            f"heard {count - len(unheard)} of {count} items; not heard: "
            f"item {_list(unheard)} (counted from 0)"
        )
    if not finished:
        reasons.append("no `finished` ack")
    return DeliveryOutcome(Outcome.partial, "; ".join(reasons))


def _suspensions(
    on_air: Sequence[AckEvent], end: datetime
) -> list[tuple[datetime, datetime]]:
    """Spans during which the cluster was suspended, by its own clock."""
    spans: list[tuple[datetime, datetime]] = []
    since: datetime | None = None
    for event in on_air:
        if event.state == "suspended" and since is None:
            since = event.cluster_at
        elif event.state == "playing" and since is not None:
            spans.append((since, event.cluster_at))
            since = None
    if since is not None:
        spans.append((since, end))
    return spans


def _unheard_items(
    plan: Plan, playing: Sequence[AckEvent], suspended: list[tuple[datetime, datetime]]
) -> list[int]:
    """Due items (see the module's rules) without a `playing` that was heard."""
    if plan.durations is None:
        return []
    heard = {e.item for e in playing if e.item is not None and e.detail != UNHEARD}
    if not heard and any(e.item is None and e.detail != UNHEARD for e in playing):
        return []  # a cluster that does not number items: it played, we cannot say more
    unheard: list[int] = []
    offset = plan.start
    for index, seconds in enumerate(plan.durations):
        begins, ends = offset, offset + timedelta(seconds=seconds)
        offset = ends
        if begins >= plan.end:
            break
        taken = any(since <= begins and min(ends, plan.end) <= until for since, until in suspended)
        if index not in heard and not taken:
            unheard.append(index)
    return unheard


def _list(items: list[int]) -> str:
    return ", ".join(str(i) for i in items)
