"""The cluster side of the speaker contract (revision 1.1), checked at chosen instants
(no clock, no broker)."""

from __future__ import annotations

import random
from dataclasses import replace
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
        PlayItem(kind, f"http://a/{i}", d, sha256=f"sha-{i}" if kind == "file" else None)
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


# -- rule 3, revision 1.1: who has the speaker is decided by the clock ---------------------

EMERGENCY = "man-lan/announce-052830/2026-11-29"


def emergency(start: float = 500, end: float = 800, durations: tuple[float, ...] = (300,),
              priority: int = 100, bid: str = EMERGENCY) -> PlayCommand:
    return play(bid, start=start, end=end, priority=priority, durations=durations)


def test_an_emergency_takes_the_speaker_at_its_start_and_the_slot_resumes_by_the_clock() -> None:
    cluster = Cluster()
    cluster.on_command(play(), at(-60))
    assert states(cluster.tick(at(0))) == [(BID, "playing", 0, "")]
    # Received mid-slot, ahead of its own start: nothing changes yet.
    assert states(cluster.on_command(emergency(), at(450))) == [
        (EMERGENCY, "received", None, ""), (EMERGENCY, "ready", None, "")]
    assert cluster.next_deadline() == at(500)
    assert cluster.tick(at(499)) == []
    assert states(cluster.tick(at(500))) == [
        (BID, "suspended", 0, EMERGENCY), (EMERGENCY, "playing", 0, "")]
    # The slot's item 0 ends at 600 while it is suspended: no ack, and no wake-up for it.
    assert cluster.next_deadline() == at(800)
    assert states(cluster.tick(at(800))) == [
        (EMERGENCY, "finished", None, ""), (BID, "playing", 1, "resumed")]
    assert cluster.next_deadline() == at(1200)
    assert states(cluster.tick(at(1200))) == [(BID, "finished", None, "")]
    assert cluster.starts == {BID: 1, EMERGENCY: 1}


def test_a_late_tick_still_plays_each_preemption_and_resume_at_its_instant() -> None:
    cluster = Cluster()
    cluster.on_command(play(), at(-60))
    cluster.on_command(emergency(), at(-30))
    assert states(cluster.tick(at(1000))) == [
        (BID, "playing", 0, ""), (BID, "suspended", 0, EMERGENCY),
        (EMERGENCY, "playing", 0, ""), (EMERGENCY, "finished", None, ""),
        (BID, "playing", 1, "resumed")]


def test_an_emergency_that_ends_with_its_window_gives_the_speaker_back_then() -> None:
    cluster = Cluster()
    cluster.on_command(play(), at(-60))
    cluster.on_command(emergency(end=700, durations=(600,)), at(-30))
    cluster.tick(at(500))
    assert cluster.next_deadline() == at(700)
    assert states(cluster.tick(at(700))) == [
        (EMERGENCY, "finished", None, ""), (BID, "playing", 1, "resumed")]


def test_a_window_that_passes_under_a_higher_priority_is_stopped_preempted() -> None:
    cluster = Cluster()
    cluster.on_command(emergency(start=0, end=1800, durations=(1800,)), at(-60))
    cluster.on_command(play(start=600, end=1200, durations=(600,)), at(-30))
    assert states(cluster.tick(at(600))) == [(EMERGENCY, "playing", 0, "")]
    assert cluster.next_deadline() == at(1200)
    assert states(cluster.tick(at(1200))) == [(BID, "stopped", None, "preempted")]
    assert cluster.starts == {EMERGENCY: 1}


def test_a_suspended_broadcast_whose_time_runs_out_is_stopped_preempted() -> None:
    cluster = Cluster()
    cluster.on_command(play(end=1200), at(-60))
    cluster.on_command(emergency(start=300, end=1500, durations=(1200,)), at(-30))
    cluster.tick(at(300))
    assert states(cluster.tick(at(1200))) == [(BID, "stopped", None, "preempted")]
    assert states(cluster.tick(at(1500))) == [(EMERGENCY, "finished", None, "")]


def test_on_equal_priority_the_later_start_takes_the_speaker() -> None:
    later = "man-lan/health/2026-11-29"
    cluster = Cluster()
    cluster.on_command(play(), at(-60))
    cluster.on_command(play(later, start=600, end=900, durations=(300,)), at(-30))
    cluster.tick(at(0))
    # Its item 1 would begin at the very instant it loses the speaker: never acked playing.
    assert states(cluster.tick(at(600))) == [
        (BID, "suspended", 0, later), (later, "playing", 0, "")]
    assert states(cluster.tick(at(900))) == [
        (later, "finished", None, ""), (BID, "playing", 1, "resumed")]


def test_on_equal_priority_and_start_the_one_received_last_plays_then_the_other() -> None:
    second = "man-lan/second/2026-11-29"
    cluster = Cluster()
    cluster.on_command(play(), at(-60))
    cluster.on_command(play(second, durations=(600,)), at(-30))
    assert states(cluster.tick(at(0))) == [(second, "playing", 0, "")]
    # It gets the speaker for the first time: a plain `playing`, at the clock's item.
    assert states(cluster.tick(at(600))) == [
        (second, "finished", None, ""), (BID, "playing", 1, "")]


def test_a_lower_priority_in_the_window_never_takes_the_speaker() -> None:
    cluster = Cluster()
    cluster.on_command(play(priority=50), at(-60))
    cluster.tick(at(60))
    acks = cluster.on_command(play("other", start=100, end=500, priority=10), at(100))
    assert states(acks) == [("other", "received", None, ""), ("other", "ready", None, "")]
    assert states(cluster.tick(at(500))) == [("other", "stopped", None, "preempted")]
    assert states(cluster.tick(at(600))) == [(BID, "playing", 1, "")]
    assert cluster.starts == {BID: 1}


def test_no_play_is_refused_busy_any_more() -> None:
    cluster = Cluster()
    cluster.on_command(emergency(start=0, end=1800, durations=(1800,)), at(-60))
    cluster.tick(at(0))
    acks = cluster.on_command(play(), at(10))
    assert all(a.detail != "busy" and a.state != "failed" for a in acks)


def test_a_stop_of_the_broadcast_on_air_hands_the_speaker_back() -> None:
    cluster = Cluster()
    cluster.on_command(play(), at(-60))
    cluster.on_command(emergency(end=1000, durations=(500,)), at(-30))
    cluster.tick(at(550))
    assert states(cluster.on_command(StopCommand(EMERGENCY, at(650)), at(650))) == [
        (EMERGENCY, "stopped", None, ""), (BID, "playing", 1, "resumed")]


def test_a_duplicate_play_reacks_the_current_state_suspended_or_resumed() -> None:
    cluster = Cluster()
    cluster.on_command(play(), at(-60))
    cluster.on_command(emergency(), at(-30))
    cluster.tick(at(550))
    assert states(cluster.on_command(play(), at(560))) == [(BID, "suspended", 0, EMERGENCY)]
    assert states(cluster.on_command(emergency(), at(570))) == [(EMERGENCY, "playing", 0, "")]
    cluster.tick(at(900))
    assert states(cluster.on_command(play(), at(910))) == [(BID, "playing", 1, "resumed")]
    assert cluster.starts == {BID: 1, EMERGENCY: 1}


def test_received_after_its_items_time_but_inside_the_window_fails_expired() -> None:
    cluster = Cluster()
    acks = cluster.on_command(play(durations=(60,)), at(300))
    assert states(acks) == [(BID, "received", None, ""), (BID, "failed", None, "expired")]
    assert cluster.starts == {}


# -- rule 4 and 5: streams that cannot be opened, files held by sha256 ----------------------

NHAC_NEN = PlayItem("file", "http://srv-a/audio/9c1d.mp3", 180, sha256="9c1d")
LIVE = "http://radio.example/live"


def relay(bid: str = BID, fallback: PlayItem | None = NHAC_NEN, start: float = 0,
          durations: tuple[float, ...] = (600,)) -> PlayCommand:
    items = tuple(PlayItem("stream", LIVE, d, fallback=fallback) for d in durations)
    return PlayCommand(bid, at(start), at(start + 1800), 0, 80, items, at(start - 120))


def test_a_stream_that_cannot_be_opened_plays_its_fallback_until_it_opens() -> None:
    cluster = Cluster(open_streams=True)
    assert states(cluster.on_command(relay(), at(-60))) == [(BID, "received", None, "")]
    assert cluster.files_to_fetch(BID) == (NHAC_NEN,)
    assert cluster.streams_to_open(BID) == (LIVE,)
    assert cluster.on_files(BID, None, at(-50)) == []  # still trying the stream
    assert states(cluster.on_stream(LIVE, False, at(-40))) == [(BID, "ready", None, "")]
    assert states(cluster.tick(at(0))) == [(BID, "playing", 0, "fallback")]
    assert cluster.streams_down() == (LIVE,)
    assert cluster.on_stream(LIVE, False, at(20)) == []  # still down: nothing new to say
    assert states(cluster.on_stream(LIVE, True, at(30))) == [(BID, "playing", 0, "")]
    assert cluster.streams_down() == ()
    assert states(cluster.on_stream(LIVE, False, at(40))) == [(BID, "playing", 0, "fallback")]


def test_a_stream_without_fallback_that_cannot_be_opened_is_acked_unavailable() -> None:
    cluster = Cluster(open_streams=True)
    cluster.on_command(relay(fallback=None), at(-60))
    assert cluster.files_to_fetch(BID) == ()
    cluster.on_stream(LIVE, False, at(-50))
    assert states(cluster.tick(at(0))) == [(BID, "playing", 0, "unavailable")]


def test_a_fallback_that_fails_its_checksum_fails_the_broadcast() -> None:
    cluster = Cluster(open_streams=True)
    cluster.on_command(relay(), at(-60))
    assert states(cluster.on_files(BID, "checksum", at(-50))) == [
        (BID, "failed", None, "checksum")]


def test_resuming_onto_a_stream_that_is_down_says_so_after_resumed() -> None:
    cluster = Cluster(open_streams=True)
    cluster.on_command(relay(durations=(1800,)), at(-60))
    cluster.on_files(BID, None, at(-59))
    cluster.on_stream(LIVE, True, at(-58))
    cluster.on_command(emergency(), at(-30))
    cluster.on_stream("http://a/0", True, at(-20))  # the emergency's own item
    cluster.tick(at(500))
    cluster.on_stream(LIVE, False, at(600))
    assert states(cluster.tick(at(800)))[1:] == [
        (BID, "playing", 0, "resumed"), (BID, "playing", 0, "fallback")]


def test_a_file_already_held_is_not_fetched_again_whatever_its_url() -> None:
    cluster = Cluster(open_streams=True)
    cluster.on_command(relay(), at(-60))
    cluster.on_files(BID, None, at(-50))
    cluster.on_stream(LIVE, True, at(-40))
    other_server = replace(NHAC_NEN, url="http://srv-b/audio/9c1d.mp3")
    evening = "man-lan/evening/2026-11-29"
    acks = cluster.on_command(relay(evening, fallback=other_server, start=3600), at(10))
    assert cluster.files_to_fetch(evening) == ()
    assert states(acks)[-2:] == [(evening, "received", None, ""), (evening, "ready", None, "")]


# -- the same acks however the cluster is woken ----------------------------------------------

def _random_plays(rng: random.Random) -> list[tuple[float, PlayCommand]]:
    """A few overlapping plays of mixed priority, each with the instant it arrives."""
    arrivals = []
    for n in range(rng.randint(1, 6)):
        start = rng.choice((0, 100, 200, 300, 450, 600))
        durations = tuple(rng.choice((50, 100, 150, 300)) for _ in range(rng.randint(1, 4)))
        arrivals.append((float(rng.choice((-50, 0, 120, 350))),
                         play(f"b{n}", start=start, end=start + rng.choice((100, 300, 600, 1200)),
                              priority=rng.choice((0, 50, 100)), durations=durations)))
    return sorted(arrivals, key=lambda arrival: arrival[0])


def _woken_at_every_deadline(arrivals: list[tuple[float, PlayCommand]]) -> list[Ack]:
    cluster, acks = Cluster(), []
    for received, command in arrivals:
        while (deadline := cluster.next_deadline()) is not None and deadline <= at(received):
            acks += cluster.tick(deadline)
        acks += cluster.on_command(command, at(received))
    while (deadline := cluster.next_deadline()) is not None:
        acks += cluster.tick(deadline)
        assert sum(cluster.phase(c.broadcast_id) == "playing" for _, c in arrivals) <= 1
    return acks


def _woken_every_ten_seconds(arrivals: list[tuple[float, PlayCommand]]) -> list[Ack]:
    """The reference: every edge of these plays falls on a 10 s grid, so ticking on the
    grid sees each one at its instant without trusting `next_deadline()`."""
    cluster, acks, pending = Cluster(), [], list(arrivals)
    for step in range(-10, 300):
        while pending and pending[0][0] <= step * 10:
            received, command = pending.pop(0)
            acks += cluster.on_command(command, at(received))
        acks += cluster.tick(at(step * 10))
    return acks


def _woken_only_by_commands(arrivals: list[tuple[float, PlayCommand]]) -> list[Ack]:
    cluster, acks = Cluster(), []
    for received, command in arrivals:
        acks += cluster.on_command(command, at(received))
    acks += cluster.tick(at(10_000))
    assert cluster.next_deadline() is None
    return acks


def _timed(acks: list[Ack]) -> list[tuple[datetime, str, str, int | None, str]]:
    return [(a.at, a.broadcast_id, a.state, a.item, a.detail) for a in acks]


def test_deadlines_wake_the_cluster_at_every_edge_and_a_late_wake_up_changes_nothing() -> None:
    for seed in range(300):
        arrivals = _random_plays(random.Random(seed))
        acks = _woken_at_every_deadline(arrivals)
        # Woken only at `next_deadline()`, every ack is sent at the instant it happens.
        assert _timed(acks) == _timed(_woken_every_ten_seconds(arrivals)), seed
        assert states(acks) == states(_woken_only_by_commands(arrivals)), seed
        for _, command in arrivals:
            sequence = [a.state for a in acks if a.broadcast_id == command.broadcast_id]
            final = [n for n, s in enumerate(sequence) if s in ("finished", "stopped", "failed")]
            assert final == [len(sequence) - 1], (seed, sequence)
            assert "suspended,suspended" not in ",".join(sequence), (seed, sequence)
