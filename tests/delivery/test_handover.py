"""A commune changing hands between two dispatchers on one database (two daemons):
the one that loses it falls silent (no `stop`), the one that gains it re-opens the same
broadcast id where the clusters have not finished, and learns acks the other stored."""

from __future__ import annotations

import time
from datetime import timedelta

from broadcastd.contract import Ack, PlayCommand
from broadcastd.delivery.dispatcher import Dispatcher
from broadcastd.delivery.policy import ResendPolicy

from .conftest import Bench


def _daemon(bench: Bench) -> Dispatcher:
    return Dispatcher(bench.link, bench.store, lambda occ: (), prefix=bench.prefix,
                      lead_time_s=120, resend=ResendPolicy(first_after_s=10),
                      clock=bench.clock, acks_elsewhere=True)


def test_a_commune_lost_is_dropped_silently_and_gained_with_the_same_id(bench: Bench) -> None:
    occurrence = bench.occurrence
    first, second = _daemon(bench), _daemon(bench)
    first.set_owned(frozenset({occurrence.commune}))
    second.set_owned(frozenset())
    assert not second.open(occurrence, "join")  # not its commune
    assert first.open(occurrence, "join")
    bench.clusters.wait_total(3)
    now = bench.clock.now
    bench.store.record_ack(occurrence.commune, "loa-01",
                           Ack(occurrence.broadcast_id, "finished", now), now)
    bench.settle()

    assert first.set_owned(frozenset()) == [occurrence.broadcast_id]
    second.set_owned(frozenset({occurrence.commune}))
    bench.clock.advance(60)
    assert second.open(occurrence, "join")
    bench.clusters.wait_total(5)
    time.sleep(0.3)  # anything more would have come by now
    seen = bench.clusters.wait_total(5)
    assert {name: len(items) for name, items in seen.items()} == {
        "loa-01": 1, "loa-02": 2, "loa-03": 2}
    assert all(isinstance(c, PlayCommand) and c.broadcast_id == occurrence.broadcast_id
               for items in seen.values() for c in items)  # never a `stop`

    # loa-02's ack reached the first daemon and was stored there: no resend to it.
    now = bench.clock.now
    bench.store.record_ack(occurrence.commune, "loa-02",
                           Ack(occurrence.broadcast_id, "received", now), now)
    bench.settle()
    bench.clock.advance(timedelta(seconds=11).total_seconds())
    second.tick()
    bench.clusters.wait_total(6)
    time.sleep(0.3)
    assert {name: len(items) for name, items in bench.clusters.wait_total(6).items()} == {
        "loa-01": 1, "loa-02": 2, "loa-03": 3}
