"""`/status` answers under a stream of writes: kept until the timetables change, or
until `http.status_refresh_ms` has passed (here an hour, so nothing is timed)."""

from __future__ import annotations

import json

from broadcastd.api.status_cache import StatusAnswers, respond
from broadcastd.api.views import CommuneTopology
from broadcastd.store import Store

from .fakes import MORNING, TOPOLOGY, Clock, FakeDaemon


def online(answers: StatusAnswers, topology: list[CommuneTopology]) -> int:
    body = json.loads(respond(answers.answer(None, 1, 0, topology), []))
    count: int = body["communes"][0]["counts"]["online"]
    return count


def test_a_small_answer_shows_a_write_at_once_whatever_the_refresh_time(
    store: Store, daemon: FakeDaemon, clock: Clock
) -> None:
    """A commune server's /status is cheap to build: never kept out of date."""
    answers = StatusAnswers(store, daemon, clock, refresh_s=3600)
    assert online(answers, TOPOLOGY) == 0
    store.record_presence("man-lan", "coc-1", True, "2.1.0", 80, MORNING.send_at)
    assert store.flush()
    assert online(answers, TOPOLOGY) == 1


def test_a_write_is_shown_after_the_refresh_time_a_reload_at_once(
    store: Store, daemon: FakeDaemon, clock: Clock
) -> None:
    # Every answer counted as costly to build, as a province's is.
    answers = StatusAnswers(store, daemon, clock, refresh_s=3600, cheap_build_s=0)
    assert online(answers, TOPOLOGY) == 0
    store.record_presence("man-lan", "coc-1", True, "2.1.0", 80, MORNING.send_at)
    assert store.flush()
    assert online(answers, TOPOLOGY) == 0  # kept: built again at most once an hour here
    reloaded = list(TOPOLOGY)  # a reload gives the daemon's view a new list
    assert online(answers, reloaded) == 1
