"""The dispatcher's part of announcements: the emergency resend policy, stopping some
clusters of a live broadcast, and an announcement kept across a timetable reload."""

from __future__ import annotations

import time
from dataclasses import replace

from broadcastd.contract import StopCommand
from broadcastd.delivery.dispatcher import Dispatcher
from broadcastd.delivery.policy import ResendPolicy
from broadcastd.scheduling import BroadcastScheduler

from .conftest import Bench, timetable


def emergency_dispatcher(bench: Bench) -> Dispatcher:
    return Dispatcher(
        bench.link,
        bench.store,
        lambda occ: (),
        prefix=bench.prefix,
        lead_time_s=120,
        resend=ResendPolicy(first_after_s=10, factor=2, max_delay_s=40),
        emergency_resend=ResendPolicy(first_after_s=3, factor=1.5, max_delay_s=15),
        clock=bench.clock,
    )


def test_an_emergency_is_resent_sooner_than_a_routine_play(bench: Bench) -> None:
    dispatcher = emergency_dispatcher(bench)
    emergency = replace(bench.occurrence, slot="announce-053000", priority=100)
    dispatcher.open(emergency, "announce")
    dispatcher.open(bench.occurrence)
    bench.clusters.wait_total(6)
    bench.clock.advance(3)
    dispatcher.tick()
    seen = bench.clusters.wait_total(9)
    ids = [c.broadcast_id for commands in seen.values() for c in commands]
    assert ids.count(emergency.broadcast_id) == 6  # resent after 3 s
    assert ids.count(bench.occurrence.broadcast_id) == 3  # routine waits 10 s


def test_stopping_some_clusters_leaves_the_others_playing(bench: Bench) -> None:
    dispatcher = bench.dispatcher
    bid = bench.occurrence.broadcast_id
    dispatcher.open(bench.occurrence)
    bench.clusters.wait_total(3)
    assert dispatcher.stop_clusters(bid, ["loa-01", "loa-09"]) == ([], ["loa-09"])
    time.sleep(0.3)
    assert bench.clusters.total() == 3  # an unknown name: nothing sent
    assert dispatcher.stop_clusters(bid, ["loa-01"]) == (["loa-01"], [])
    seen = bench.clusters.wait_total(4)
    assert isinstance(seen["loa-01"][-1], StopCommand)
    bench.clock.advance(60)  # resends are due: not to the stopped cluster
    dispatcher.tick()
    dispatcher.note_presence(bench.occurrence.commune, "loa-01", True)
    seen = bench.clusters.wait_total(6)
    time.sleep(0.3)
    assert len(bench.clusters.commands["loa-01"]) == 2
    assert len(seen["loa-02"]) == 2 and len(seen["loa-03"]) == 2
    assert dispatcher.stop_clusters("xa-none/morning/2026-11-29", ["loa-01"]) is None


def test_a_timetable_reload_keeps_an_extra_occurrence(bench: Bench) -> None:
    announcement = replace(bench.occurrence, slot="announce-053000", priority=100)
    scheduler = BroadcastScheduler(
        bench.dispatcher,
        lead_time_s=120,
        replan_interval_s=300,
        clock=bench.clock,
        extra=lambda since, until: [announcement]
        if announcement.end > since and announcement.start < until else [],
    )
    table = timetable(bench.occurrence.commune)
    scheduler.start([table])
    try:
        assert scheduler.open_now(announcement) is False  # the replan at start opened it
        assert announcement.broadcast_id in bench.dispatcher.active_ids()
        before = bench.clusters.wait_total(6)
        empty = table.model_copy(update={"slots": []})
        changes = scheduler.replace_timetables([empty])
        assert changes == [f"{bench.occurrence.broadcast_id}: removed from the timetable; stopped"]
        seen = bench.clusters.wait_total(9)
        stops = [c for commands in seen.values() for c in commands if isinstance(c, StopCommand)]
        assert {s.broadcast_id for s in stops} == {bench.occurrence.broadcast_id}
        assert announcement.broadcast_id in bench.dispatcher.active_ids()
        assert sum(len(c) for c in before.values()) == 6
        upcoming = [occ.broadcast_id for occ in scheduler.upcoming(1)]
        assert announcement.broadcast_id in upcoming
        assert scheduler.cancel(announcement.broadcast_id, by="ops") is True
    finally:
        scheduler.stop()
