"""A recording replaced (`broadcastd audio add --replace`) while broadcasts are planned:
a broadcast already sent keeps the file it was sent with (same id, no revision: the
playlist names the item, not the file, so its fingerprint is unchanged) and its
resends carry it too; one sent after the swap carries the new file. The old file stays
served long enough for the first (broadcastd/audio/retired.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from broadcastd.audio.catalogue import Catalogue
from broadcastd.contract import PlayCommand
from broadcastd.delivery.dispatcher import Dispatcher
from broadcastd.delivery.playlist import PlaylistResolver
from broadcastd.delivery.policy import ResendPolicy
from broadcastd.planning import plan
from broadcastd.timetable.model import Timetable
from tests.timetable.helpers import write_library

from .conftest import MORNING, Bench, timetable


def with_bulletin(commune: str) -> Timetable:
    data = timetable(commune).model_dump(exclude_none=True)
    data["slots"][0]["playlist"] = [
        {"audio": "ban-tin-sang"},
        {"stream": "http://relay.example/live", "duration_s": "rest"},
    ]
    return Timetable.model_validate(data)


def test_a_sent_broadcast_keeps_the_old_file_and_the_next_one_gets_the_new(
    bench: Bench, tmp_path: Path
) -> None:
    old = Catalogue.load(write_library(tmp_path / "lib", {"ban-tin-sang": 20.0}))
    entry = old.entries["ban-tin-sang"]
    new_entry = replace(entry, file="e" * 64 + ".mp3", sha256="e" * 64, duration_s=30.0)
    library = [old]
    resolver = PlaylistResolver(lambda: library[0], "http://daemon")
    dispatcher = Dispatcher(
        bench.link, bench.store,
        lambda occ: resolver.items(occ.playlist, occ.broadcast_id,
                                   (occ.end - occ.start).total_seconds()),
        prefix=bench.prefix, lead_time_s=120,
        resend=ResendPolicy(first_after_s=10, factor=2, max_delay_s=40), clock=bench.clock,
    )
    today, tomorrow = plan([with_bulletin(bench.occurrence.commune)], MORNING,
                           MORNING + timedelta(days=1, seconds=1))

    bench.clock.now = MORNING - timedelta(seconds=60)
    assert dispatcher.open(today)
    bench.clusters.wait_total(3)
    library[0] = Catalogue(old.library_dir, {"ban-tin-sang": new_entry})  # the swap
    assert dispatcher.update(today) is None  # nothing to revise
    bench.clock.advance(11)
    dispatcher.tick()  # nobody acked: resent
    bench.clusters.wait_total(6)
    bench.clock.now = MORNING + timedelta(days=1, seconds=-60)
    assert dispatcher.open(tomorrow)

    seen = bench.clusters.wait_total(9)
    for plays in seen.values():
        assert all(isinstance(play, PlayCommand) for play in plays)
        sent = [(p.broadcast_id, p.items[0].sha256, p.items[1].duration_s)
                for p in plays if isinstance(p, PlayCommand)]
        assert sent == [
            (today.broadcast_id, entry.sha256, 1780.0),
            (today.broadcast_id, entry.sha256, 1780.0),
            (tomorrow.broadcast_id, new_entry.sha256, 1770.0),
        ]
