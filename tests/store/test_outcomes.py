"""What each cluster did, decided from its acks once the broadcast is over (a chosen clock)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import pytest

from broadcastd.store import Store
from broadcastd.store.outcomes import DeliveryOutcome, Outcome, Plan, delivery_outcome

from .builders import CLUSTERS, SLOT_START, ack, morning

START = SLOT_START  # 05:30 in Mạn Lạn
END = START + timedelta(minutes=30)
# Three items: 0-5 min, 5-20 min, 20-28 min; the window ends at 30 min.
PLAN = Plan(START, END, (300.0, 900.0, 480.0))
AFTER = END + timedelta(seconds=5)
EMERGENCY = "man-lan/announce-054000/2026-11-29"


@dataclass(frozen=True)
class Event:
    state: str
    item: int | None
    detail: str
    cluster_at: datetime


def at(minutes: float, state: str, item: int | None = None, detail: str = "") -> Event:
    return Event(state, item, detail, START + timedelta(minutes=minutes))


def outcome(events: list[Event], plan: Plan = PLAN, now: datetime = AFTER) -> DeliveryOutcome:
    found = delivery_outcome(plan, events, now)
    assert found is not None
    return found


WHOLE = [at(-2, "received"), at(-1.9, "ready"), at(0, "playing", 0), at(5, "playing", 1),
         at(20, "playing", 2), at(28, "finished")]


def test_every_item_heard_and_finished_is_played() -> None:
    assert outcome(WHOLE) == DeliveryOutcome(Outcome.played, "")


def test_no_outcome_before_the_end() -> None:
    assert delivery_outcome(PLAN, WHOLE, END - timedelta(seconds=1)) is None


def test_joining_in_progress_is_partial_and_says_what_was_not_heard() -> None:
    late = [at(7, "received"), at(7.1, "ready"), at(7.1, "playing", 1), at(20, "playing", 2),
            at(28, "finished")]
    found = outcome(late)
    assert found.outcome is Outcome.partial
    assert "heard 2 of 3 items" in found.detail and "item 0" in found.detail


def test_items_starting_after_the_end_are_not_due() -> None:
    cut = Plan(START, START + timedelta(minutes=10), (300.0, 900.0, 480.0))
    acks = [at(0, "playing", 0), at(5, "playing", 1), at(10, "finished")]
    assert outcome(acks, cut, cut.end).outcome is Outcome.played


def test_suspended_and_resumed_is_played_when_only_the_preempted_part_was_skipped() -> None:
    # An emergency held the speaker from 4 to 21 min: item 1 (5-20) fell wholly inside.
    acks = [at(0, "playing", 0), at(4, "suspended", 0, EMERGENCY),
            at(21, "playing", 2, "resumed"), at(28, "finished")]
    assert outcome(acks) == DeliveryOutcome(Outcome.played, "")


def test_suspended_until_the_end_or_never_on_air_is_preempted() -> None:
    held = [at(0, "playing", 0), at(4, "suspended", 0, EMERGENCY)]
    found = outcome(held)
    assert found.outcome is Outcome.preempted and EMERGENCY in found.detail
    never = [at(-2, "received"), at(-1, "ready"), at(30, "stopped", detail="preempted")]
    assert outcome(never).outcome is Outcome.preempted


@pytest.mark.parametrize(
    "acks",
    [[], [at(-2, "received")], [at(-2, "received"), at(-1, "ready")]],
    ids=["silent", "received", "ready"],
)
def test_never_playing_is_missed(acks: list[Event]) -> None:
    assert outcome(acks).outcome is Outcome.missed


def test_a_cancelled_broadcast_is_cancelled_for_every_cluster_at_once() -> None:
    cancelled = Plan(START, END, PLAN.durations, cancelled_at=START + timedelta(minutes=3))
    now = START + timedelta(minutes=4)  # before the end: the cancel settles it
    assert outcome([at(0, "playing", 0)], cancelled, now).outcome is Outcome.cancelled
    assert outcome([], cancelled, now).outcome is Outcome.cancelled


def test_a_stop_for_one_cluster_is_cancelled_for_it() -> None:
    acks = [at(0, "playing", 0), at(3, "stopped")]
    assert outcome(acks).outcome is Outcome.cancelled


def test_failed_keeps_its_detail() -> None:
    assert outcome([at(-2, "received"), at(-1, "failed", detail="checksum")]) == DeliveryOutcome(
        Outcome.failed, "checksum"
    )


def test_played_without_finished_is_partial() -> None:
    found = outcome(WHOLE[:-1])
    assert found.outcome is Outcome.partial and "finished" in found.detail


def test_a_silent_stream_is_not_heard_but_its_fallback_is() -> None:
    silent = [*WHOLE[:4], at(20, "playing", 2, "unavailable"), at(28, "finished")]
    assert outcome(silent).outcome is Outcome.partial
    fallback = [*WHOLE[:4], at(20, "playing", 2, "fallback"), at(28, "finished")]
    assert outcome(fallback).outcome is Outcome.played


def test_without_recorded_items_finished_decides() -> None:
    unknown = Plan(START, END, None)
    assert outcome([at(7, "playing", 1), at(28, "finished")], unknown).outcome is Outcome.played


def test_outcomes_over_a_date_range_come_from_the_stored_acks(store: Store) -> None:
    """The one query the console and the monthly report read: a range of days."""
    for day in (29, 30):
        store.record_broadcast(replace(morning(day=day), item_durations=(300.0, 900.0)), CLUSTERS)
    bid = morning().broadcast_id
    for one in [ack("playing", 0), ack("playing", 1, seconds=300), ack("finished", seconds=1200)]:
        store.record_ack("man-lan", "ban-coc", one, SLOT_START)
    store.record_ack("man-lan", "ban-lung", ack("playing", 1, seconds=400), SLOT_START)
    assert store.flush()

    day_29 = store.outcomes_between(SLOT_START, SLOT_START + timedelta(days=1), AFTER)
    (found,) = day_29
    assert found.broadcast.broadcast_id == bid
    assert {c: o.outcome if o else None for c, o in found.outcomes.items()} == {
        "ban-coc": Outcome.played, "ban-lung": Outcome.partial, "ban-na-hu": Outcome.missed,
    }
    both = store.outcomes_between(SLOT_START, SLOT_START + timedelta(days=2), AFTER)
    assert [b.broadcast.date.day for b in both] == [29, 30]
    assert set(both[1].outcomes.values()) == {None}  # not over at AFTER
