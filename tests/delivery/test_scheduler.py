"""The scheduler joins what is live at start and follows timetable changes.

APScheduler fires its jobs by the real clock, so the firing of jobs ahead is checked by
the end-to-end tests; here the clock is chosen and only the planning side is checked."""

from __future__ import annotations

from datetime import timedelta

from broadcastd.scheduling import BroadcastScheduler
from broadcastd.timetable.model import Timetable

from .conftest import MORNING, Bench, timetable


def scheduler_for(bench: Bench) -> BroadcastScheduler:
    return BroadcastScheduler(
        bench.dispatcher, lead_time_s=120, replan_interval_s=300, clock=bench.clock
    )


def test_a_start_inside_the_slot_joins_it_with_its_original_times(bench: Bench) -> None:
    bench.clock.now = MORNING + timedelta(minutes=10)  # 05:40, a restart mid-slot
    scheduler = scheduler_for(bench)
    scheduler.start([timetable(bench.occurrence.commune)])
    try:
        assert scheduler.running
        assert bench.dispatcher.active_ids() == [bench.occurrence.broadcast_id]
        play = bench.clusters.wait_total(3)["loa-01"][0]
        assert (play.start, play.end) == (bench.occurrence.start, bench.occurrence.end)
        assert scheduler.next_send() is None  # tomorrow is beyond the plan's horizon
    finally:
        scheduler.stop()


def test_new_timetables_stop_a_removed_live_broadcast(bench: Bench) -> None:
    bench.clock.now = MORNING + timedelta(minutes=1)
    scheduler = scheduler_for(bench)
    original = timetable(bench.occurrence.commune)
    scheduler.start([original])
    try:
        bench.clusters.wait_total(3)
        without_slots = Timetable.model_validate({**original.model_dump(), "slots": []})
        changes = scheduler.replace_timetables([without_slots])
        assert changes == [f"{bench.occurrence.broadcast_id}: removed from the timetable; stopped"]
        assert bench.clusters.wait_total(6)["loa-03"][-1].broadcast_id == (
            bench.occurrence.broadcast_id
        )
        assert bench.dispatcher.active_ids() == []
    finally:
        scheduler.stop()


def test_a_moved_slot_not_yet_sent_just_moves(bench: Bench) -> None:
    bench.clock.now = MORNING - timedelta(minutes=30)
    scheduler = scheduler_for(bench)
    original = timetable(bench.occurrence.commune)
    scheduler.start([original])
    try:
        data = original.model_dump()
        data["slots"][0]["start"], data["slots"][0]["end"] = "05:45", "06:15"
        assert scheduler.replace_timetables([Timetable.model_validate(data)]) == []
        (moved,) = scheduler.upcoming(2)
        assert moved.broadcast_id == bench.occurrence.broadcast_id
        assert moved.start == bench.occurrence.start + timedelta(minutes=15)
    finally:
        scheduler.stop()
