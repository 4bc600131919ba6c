"""After a short broadcast ends, what each cluster did, from the real daemon, Mosquitto,
SQLite and the simulated fleet: `played` everywhere it was heard, `missed` where not."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

import pytest

from .conftest import MakeFleet
from .site import CLUSTERS, Site, Slot, timetable

pytestmark = pytest.mark.integration

SILENT = "loa-22"
# Two 3 s tones, then a relay nobody serves: its fallback plays instead (contract 1.1 rule 4).
PLAYLIST: list[dict[str, Any]] = [
    {"audio": "nhac-hieu"},
    {"audio": "ban-tin-sang"},
    {"stream": "http://127.0.0.1:9/relay", "duration_s": 4, "fallback": "nhac-hieu"},
]


def test_after_the_end_every_cluster_that_played_shows_played_and_a_silent_one_missed(
    site: Site, make_fleet: MakeFleet
) -> None:
    slot = Slot.ahead(site.commune, seconds=6, length_s=14)
    site.write(timetable(slot, PLAYLIST))
    fleet = make_fleet(speed=1.0, silent=frozenset({SILENT}))
    assert fleet.wait_online(timeout=15)
    site.start()

    heard = CLUSTERS - 1
    assert fleet.wait_for(
        lambda view: sum(r.has_ack(slot.broadcast_id, "finished") for r in view.values())
        >= heard,
        timeout=60,
    ), site.log()
    fallback_acks = [
        a for a in fleet.snapshot("loa-01").acks_for(slot.broadcast_id) if a.detail == "fallback"
    ]
    assert fallback_acks, "the stream's fallback did not play"
    time.sleep(max(0.0, (slot.end - datetime.now(UTC)).total_seconds()) + 1.0)  # the end

    detail = site.get(f"/broadcasts/{slot.broadcast_id}")
    assert detail["phase"] == "ended"
    assert detail["outcomes"] == {"played": heard, "missed": 1}, detail["clusters"]
    silent = next(c for c in detail["clusters"] if c["cluster"] == SILENT)
    assert (silent["outcome"], silent["state"]) == ("missed", "pending")
    (commune,) = site.get("/status", commune=site.commune)["communes"]
    last = {c["cluster"]: c["last_broadcast"] for c in commune["clusters"]}
    assert last[SILENT]["outcome"] == "missed" and last["loa-01"]["outcome"] == "played"
