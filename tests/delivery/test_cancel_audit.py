"""Every cancellation leaves who, when and why in the store's audit log."""

from __future__ import annotations

from datetime import timedelta

from broadcastd.scheduling import BroadcastScheduler
from broadcastd.timetable.model import Timetable

from .conftest import MORNING, Bench, timetable


def scheduler_for(bench: Bench) -> BroadcastScheduler:
    return BroadcastScheduler(
        bench.dispatcher, lead_time_s=120, replan_interval_s=300, clock=bench.clock
    )


def test_a_cancel_by_a_token_records_its_name_time_and_reason(bench: Bench) -> None:
    bench.clock.now = MORNING + timedelta(minutes=1)
    scheduler = scheduler_for(bench)
    scheduler.start([timetable(bench.occurrence.commune)])
    try:
        bid = bench.occurrence.broadcast_id
        assert scheduler.cancel(bid, by="district-script", reason="storm warning instead")
        assert not scheduler.cancel(bid, by="someone-else", reason="again")
        bench.settle()
        changes = bench.store.changes(bid)
        assert [(c.actor, c.action, c.reason, c.at) for c in changes] == [
            ("district-script", "cancel", "storm warning instead", bench.clock.now)
        ]
        recorded = bench.store.broadcast(bid)
        assert recorded is not None and recorded.cancelled_at == bench.clock.now
    finally:
        scheduler.stop()


def test_a_cancel_by_a_timetable_edit_records_timetable(bench: Bench) -> None:
    bench.clock.now = MORNING + timedelta(minutes=1)
    scheduler = scheduler_for(bench)
    original = timetable(bench.occurrence.commune)
    scheduler.start([original])
    try:
        bench.clusters.wait_total(3)
        without_slots = Timetable.model_validate({**original.model_dump(), "slots": []})
        assert scheduler.replace_timetables([without_slots]) == [bench.occurrence.broadcast_id]
        bench.settle()
        changes = bench.store.changes(bench.occurrence.broadcast_id)
        assert [(c.actor, c.action) for c in changes] == [("timetable", "cancel")]
    finally:
        scheduler.stop()
