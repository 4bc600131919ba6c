"""The cluster side of the speaker contract, checked at chosen instants (no clock, no broker)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Literal

from broadcastd.contract import Ack, PlayCommand, PlayItem, StopCommand
from broadcastd.simulate.cluster import Cluster

T0 = datetime(2026, 11, 29, 5, 30, tzinfo=UTC)  # start of the morning slot


def at(seconds: float) -> datetime:
    return T0 + timedelta(seconds=seconds)


def play(bid: str = "man-lan/morning/2026-11-29", *, start: float = 0, end: float = 1800,
         priority: int = 0, durations: tuple[float, ...] = (600, 600),
         kind: Literal["file", "stream"] = "stream") -> PlayCommand:
    items = tuple(
        PlayItem(kind, f"http://a/{i}", d, sha256="ab" if kind == "file" else None)
        for i, d in enumerate(durations)
    )
    return PlayCommand(bid, at(start), at(end), priority, 80, items, at(start - 120))


def states(acks: list[Ack]) -> list[tuple[str, str, int | None, str]]:
    return [(a.broadcast_id, a.state, a.item, a.detail) for a in acks]


BID = "man-lan/morning/2026-11-29"


def test_before_start_acks_received_and_ready_then_plays_each_item_then_finishes() -> None:
    cluster = Cluster()
    assert states(cluster.on_command(play(), at(-120))) == [
        (BID, "received", None, ""), (BID, "ready", None, "")]
    assert cluster.next_deadline() == at(0)
    assert cluster.tick(at(-1)) == []
    assert states(cluster.tick(at(0))) == [(BID, "playing", 0, "")]
    assert cluster.next_deadline() == at(600)
    assert states(cluster.tick(at(600))) == [(BID, "playing", 1, "")]
    assert states(cluster.tick(at(1200))) == [(BID, "finished", None, "")]
    assert cluster.next_deadline() is None
    assert cluster.starts == {BID: 1}


def test_ack_times_are_the_clusters_own_clock() -> None:
    cluster = Cluster()
    acks = cluster.on_command(play(), at(-120)) + cluster.tick(at(3))
    assert [a.at for a in acks] == [at(-120), at(-120), at(3)]


def test_duplicate_play_is_not_played_twice_and_reacks_current_state() -> None:
    cluster = Cluster()
    cluster.on_command(play(), at(-10))
    cluster.tick(at(700))
    acks = cluster.on_command(play(), at(710))
    assert states(acks) == [(BID, "playing", 1, "")]
    assert acks[0].at == at(710)
    cluster.tick(at(1200))
    assert states(cluster.on_command(play(), at(1300))) == [(BID, "finished", None, "")]
    assert cluster.starts == {BID: 1}


def test_duplicate_before_start_reacks_ready() -> None:
    cluster = Cluster()
    cluster.on_command(play(), at(-60))
    assert states(cluster.on_command(play(), at(-30))) == [(BID, "ready", None, "")]


def test_received_in_the_window_joins_in_progress_at_now_minus_start() -> None:
    cluster = Cluster()
    acks = cluster.on_command(play(), at(900))
    assert states(acks) == [(BID, "received", None, ""), (BID, "ready", None, ""),
                            (BID, "playing", 1, "")]
    assert states(cluster.tick(at(1200))) == [(BID, "finished", None, "")]


def test_received_after_end_fails_expired() -> None:
    cluster = Cluster()
    assert states(cluster.on_command(play(), at(1800))) == [(BID, "failed", None, "expired")]
    assert cluster.starts == {}


def test_window_end_cuts_playback_short() -> None:
    cluster = Cluster()
    cluster.on_command(play(end=900, durations=(600, 600)), at(-5))
    cluster.tick(at(0))
    assert states(cluster.tick(at(600))) == [(BID, "playing", 1, "")]
    assert cluster.next_deadline() == at(900)
    assert states(cluster.tick(at(900))) == [(BID, "finished", None, "")]


def test_a_late_tick_reports_every_item_boundary_it_passed() -> None:
    cluster = Cluster()
    cluster.on_command(play(durations=(100, 100, 100)), at(-5))
    assert states(cluster.tick(at(250))) == [
        (BID, "playing", 0, ""), (BID, "playing", 1, ""), (BID, "playing", 2, "")]


def test_speed_compresses_playback_but_not_the_window() -> None:
    cluster = Cluster(speed=60)
    cluster.on_command(play(durations=(600, 600)), at(-5))
    assert states(cluster.tick(at(0))) == [(BID, "playing", 0, "")]
    assert states(cluster.tick(at(10))) == [(BID, "playing", 1, "")]
    assert states(cluster.tick(at(20))) == [(BID, "finished", None, "")]
    short = Cluster(speed=2)
    short.on_command(play("b", end=100, durations=(600,)), at(-5))
    short.tick(at(0))
    assert short.next_deadline() == at(100)


EMERGENCY = "man-lan/emergency/2026-11-29"


def test_overlapping_play_with_equal_or_higher_priority_preempts() -> None:
    for priority in (0, 100):
        cluster = Cluster()
        cluster.on_command(play(), at(-5))
        cluster.tick(at(60))
        acks = cluster.on_command(play(EMERGENCY, start=120, end=600, priority=priority,
                                       durations=(300,)), at(120))
        assert states(acks) == [
            (BID, "stopped", None, "preempted"), (EMERGENCY, "received", None, ""),
            (EMERGENCY, "ready", None, ""), (EMERGENCY, "playing", 0, "")]
        assert states(cluster.tick(at(610))) == [(EMERGENCY, "finished", None, "")]
        assert states(cluster.on_command(play(), at(700))) == [(BID, "stopped", None, "preempted")]


def test_overlapping_play_with_lower_priority_fails_busy() -> None:
    cluster = Cluster()
    cluster.on_command(play(priority=50), at(-5))
    cluster.tick(at(60))
    acks = cluster.on_command(play("other", start=100, end=500, priority=10), at(100))
    assert states(acks) == [("other", "failed", None, "busy")]
    assert states(cluster.tick(at(600))) == [(BID, "playing", 1, "")]
    assert cluster.starts == {BID: 1}


def test_plays_in_separate_windows_are_both_kept_and_play_in_turn() -> None:
    evening_id = "man-lan/evening/2026-11-29"
    cluster = Cluster()
    cluster.on_command(play(), at(-5))
    cluster.tick(at(0))
    evening = play(evening_id, start=3600, end=5400, priority=0)
    assert states(cluster.on_command(evening, at(10))) == [
        (evening_id, "received", None, ""), (evening_id, "ready", None, "")]
    assert states(cluster.tick(at(1200))) == [(BID, "playing", 1, ""), (BID, "finished", None, "")]
    assert states(cluster.tick(at(3600))) == [(evening_id, "playing", 0, "")]


def test_stop_of_a_known_broadcast_stops_it_and_a_resend_is_not_played() -> None:
    cluster = Cluster()
    cluster.on_command(play(), at(-5))
    cluster.tick(at(0))
    assert states(cluster.on_command(StopCommand(BID, at(30)), at(30))) == [
        (BID, "stopped", None, "")]
    assert cluster.tick(at(600)) == []
    assert states(cluster.on_command(play(), at(40))) == [(BID, "stopped", None, "")]
    assert cluster.starts == {BID: 1}


def test_stop_before_start_forgets_it() -> None:
    cluster = Cluster()
    cluster.on_command(play(), at(-60))
    assert states(cluster.on_command(StopCommand(BID, at(-30)), at(-30))) == [
        (BID, "stopped", None, "")]
    assert cluster.tick(at(0)) == []
    assert cluster.starts == {}


def test_stop_of_an_unknown_broadcast_is_acked_stopped() -> None:
    assert states(Cluster().on_command(StopCommand("nope", at(0)), at(0))) == [
        ("nope", "stopped", None, "")]


def test_file_items_wait_for_the_fetch_before_ready() -> None:
    cluster = Cluster()
    command = play(kind="file")
    assert states(cluster.on_command(command, at(-60))) == [(BID, "received", None, "")]
    assert cluster.files_to_fetch(BID) == command.items
    assert states(cluster.on_files(BID, None, at(-50))) == [(BID, "ready", None, "")]
    assert states(cluster.tick(at(0))) == [(BID, "playing", 0, "")]


def test_a_failed_fetch_or_checksum_fails_the_broadcast() -> None:
    for failure in ("fetch", "checksum"):
        cluster = Cluster()
        cluster.on_command(play(kind="file"), at(-60))
        assert states(cluster.on_files(BID, failure, at(-50))) == [(BID, "failed", None, failure)]
        assert cluster.tick(at(0)) == []


def test_files_still_fetching_at_end_expire() -> None:
    cluster = Cluster()
    cluster.on_command(play(kind="file"), at(-60))
    assert cluster.next_deadline() == at(1800)
    assert states(cluster.tick(at(1800))) == [(BID, "failed", None, "expired")]
    assert cluster.on_files(BID, None, at(1801)) == []


def test_without_fetching_file_items_are_ready_at_once() -> None:
    cluster = Cluster(fetch_files=False)
    assert states(cluster.on_command(play(kind="file"), at(-60)))[-1] == (BID, "ready", None, "")
