"""Edits to an occurrence already sent: nobody silently loses the slot.

Clusters added get the same broadcast, clusters removed a `stop`; a change to what
plays reaches every cluster as a revision (`<id>~2`: the old id stopped, the new one
sent), before or after the start, and a restart neither re-opens the old id nor
loses the revision. A real broker and SQLite file, the clock chosen."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from broadcastd.contract import PlayCommand
from broadcastd.delivery.dispatcher import Dispatcher
from broadcastd.delivery.policy import ResendPolicy
from broadcastd.scheduling import BroadcastScheduler
from broadcastd.timetable.model import Timetable

from .conftest import MORNING, Bench, timetable

ALL = ["loa-01", "loa-02", "loa-03"]


def edited(original: Timetable, **slot: Any) -> Timetable:
    """The timetable with the morning slot's keys replaced (or areas, via `areas=`)."""
    data = original.model_dump()
    if "areas" in slot:
        data["areas"] = slot.pop("areas")
    data["slots"][0].update(slot)
    return Timetable.model_validate(data)


def with_loa_04(original: Timetable) -> Timetable:
    areas = original.model_dump()["areas"]
    areas[1]["clusters"] = ["loa-03", "loa-04"]
    return edited(original, areas=areas)


@pytest.fixture
def sent(bench: Bench) -> Iterator[tuple[BroadcastScheduler, Timetable]]:
    """The morning broadcast sent to its three clusters 60 s before its start (lead 120 s)."""
    bench.clock.now = MORNING - timedelta(seconds=60)
    scheduler = BroadcastScheduler(
        bench.dispatcher, lead_time_s=120, replan_interval_s=300, clock=bench.clock
    )
    original = timetable(bench.occurrence.commune)
    scheduler.start([original])
    bench.clusters.wait_total(3)
    yield scheduler, original
    scheduler.stop()


def commands(bench: Bench, total: int) -> dict[str, list[tuple[str, str]]]:
    """(command type, broadcast id) per cluster, once `total` commands arrived."""
    seen = bench.clusters.wait_total(total)
    return {
        cluster: [("play" if isinstance(c, PlayCommand) else "stop", c.broadcast_id) for c in items]
        for cluster, items in seen.items()
    }


def test_a_cluster_added_to_a_sent_broadcast_gets_it_and_nobody_is_stopped(
    bench: Bench, sent: tuple[BroadcastScheduler, Timetable]
) -> None:
    scheduler, original = sent
    bid = bench.occurrence.broadcast_id
    changes = scheduler.replace_timetables([with_loa_04(original)])
    assert changes == [f"{bid}: 1 clusters added, 0 removed"]
    seen = commands(bench, 4)
    assert seen == {**{c: [("play", bid)] for c in ALL}, "loa-04": [("play", bid)]}
    bench.settle()
    assert sorted(bench.store.delivery_states(bid)) == [*ALL, "loa-04"]
    assert bench.store.broadcast(bid).cancelled_at is None  # type: ignore[union-attr]


def test_a_cluster_removed_from_a_sent_broadcast_alone_is_stopped(
    bench: Bench, sent: tuple[BroadcastScheduler, Timetable]
) -> None:
    scheduler, original = sent
    bid = bench.occurrence.broadcast_id
    scheduler.replace_timetables([edited(original, target={"areas": ["khu-1"]})])
    seen = commands(bench, 4)
    assert seen == {
        "loa-01": [("play", bid)], "loa-02": [("play", bid)],
        "loa-03": [("play", bid), ("stop", bid)],
    }
    assert bench.dispatcher.unacked(bid) == ["loa-01", "loa-02"]


@pytest.mark.parametrize("live", [False, True], ids=["before the start", "after the start"])
def test_a_changed_volume_reaches_every_cluster_as_a_revision(
    bench: Bench, sent: tuple[BroadcastScheduler, Timetable], live: bool
) -> None:
    scheduler, original = sent
    bid = bench.occurrence.broadcast_id
    if live:
        bench.clock.advance(120)
    scheduler.replace_timetables([edited(original, volume=40)])
    seen = commands(bench, 9)
    assert seen == {c: [("play", bid), ("stop", bid), ("play", f"{bid}~2")] for c in ALL}
    play = bench.clusters.commands["loa-01"][-1]
    assert isinstance(play, PlayCommand) and play.volume == 40
    assert (play.start, play.end) == (bench.occurrence.start, bench.occurrence.end)
    bench.settle()
    old, new = bench.store.broadcast(bid), bench.store.broadcast(f"{bid}~2")
    assert old is not None and old.cancelled_at == bench.clock.now
    assert new is not None and new.cancelled_at is None and new.volume == 40
    assert sorted(bench.store.delivery_states(f"{bid}~2")) == ALL


def test_a_title_change_sends_nothing(
    bench: Bench, sent: tuple[BroadcastScheduler, Timetable]
) -> None:
    scheduler, original = sent
    assert scheduler.replace_timetables([edited(original, title="Tin sáng")]) == []
    bench.dispatcher.tick()
    assert bench.clusters.total() == 3


def restarted(bench: Bench) -> tuple[Dispatcher, BroadcastScheduler]:
    """A second dispatcher and scheduler on the same database: a restarted daemon."""
    dispatcher = Dispatcher(
        bench.link, bench.store, lambda occ: (), prefix=bench.prefix, lead_time_s=120,
        resend=ResendPolicy(first_after_s=10), clock=bench.clock,
    )
    scheduler = BroadcastScheduler(
        dispatcher, lead_time_s=120, replan_interval_s=300, clock=bench.clock
    )
    return dispatcher, scheduler


def test_a_restart_reopens_the_revision_not_the_old_id(
    bench: Bench, sent: tuple[BroadcastScheduler, Timetable]
) -> None:
    scheduler, original = sent
    bid = bench.occurrence.broadcast_id
    louder = edited(original, volume=40)
    scheduler.replace_timetables([louder])
    bench.clusters.wait_total(9)
    scheduler.stop()
    bench.settle()
    bench.clock.advance(30)
    dispatcher, again = restarted(bench)
    again.start([louder])
    try:
        seen = commands(bench, 12)
        assert {c: items[3:] for c, items in seen.items()} == {c: [("play", f"{bid}~2")] for c in ALL}
        assert dispatcher.active_ids() == [f"{bid}~2"]
    finally:
        again.stop()


def test_a_change_made_while_the_daemon_was_down_is_sent_as_a_revision(
    bench: Bench, sent: tuple[BroadcastScheduler, Timetable]
) -> None:
    scheduler, original = sent
    bid = bench.occurrence.broadcast_id
    scheduler.stop()
    bench.settle()
    bench.clock.advance(30)
    dispatcher, again = restarted(bench)
    again.start([edited(original, playlist=[{"stream": "http://other.example/live",
                                              "duration_s": 600}])])
    try:
        seen = commands(bench, 9)
        assert seen == {c: [("play", bid), ("stop", bid), ("play", f"{bid}~2")] for c in ALL}
        assert dispatcher.active_ids() == [f"{bid}~2"]
    finally:
        again.stop()


def test_a_revision_is_cancelled_by_its_own_id(
    bench: Bench, sent: tuple[BroadcastScheduler, Timetable]
) -> None:
    scheduler, original = sent
    bid = bench.occurrence.broadcast_id
    scheduler.replace_timetables([edited(original, priority=50)])
    bench.clusters.wait_total(9)
    assert not scheduler.cancel(bid)  # over: revised
    assert scheduler.cancel(f"{bid}~2")
    assert not scheduler.cancel(f"{bid}~2")
    seen = commands(bench, 12)
    assert all(items[-1] == ("stop", f"{bid}~2") for items in seen.values())
    # Cancelled by people: a restart does not bring it back.
    scheduler.stop()
    bench.settle()
    dispatcher, again = restarted(bench)
    again.start([edited(original, priority=50)])
    try:
        assert dispatcher.active_ids() == []
    finally:
        again.stop()


def test_a_slot_removed_and_put_back_goes_out_again(
    bench: Bench, sent: tuple[BroadcastScheduler, Timetable]
) -> None:
    scheduler, original = sent
    bid = bench.occurrence.broadcast_id
    scheduler.replace_timetables([Timetable.model_validate({**original.model_dump(), "slots": []})])
    bench.clusters.wait_total(6)
    scheduler.replace_timetables([original])
    seen = commands(bench, 9)
    assert seen == {c: [("play", bid), ("stop", bid), ("play", f"{bid}~2")] for c in ALL}



def test_a_cluster_removed_while_the_daemon_was_down_is_stopped_at_restart(
    bench: Bench, sent: tuple[BroadcastScheduler, Timetable]
) -> None:
    scheduler, original = sent
    bid = bench.occurrence.broadcast_id
    scheduler.stop()
    bench.settle()
    time.sleep(0.3)  # PUBACKs: the sends are recorded
    bench.settle()
    dispatcher, again = restarted(bench)
    again.start([edited(original, target={"areas": ["khu-1"]})])
    try:
        seen = commands(bench, 6)
        assert seen == {
            "loa-01": [("play", bid), ("play", bid)], "loa-02": [("play", bid), ("play", bid)],
            "loa-03": [("play", bid), ("stop", bid)],
        }
        assert dispatcher.active_ids() == [bid]
    finally:
        again.stop()
