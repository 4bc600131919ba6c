"""Timetables reloaded without a restart: `systemctl reload` (SIGHUP) and edits seen by
the file watch. A valid change is applied (a moved slot goes out at its new time, a
live broadcast removed is stopped at the clusters); a file with errors is refused,
every error shown, and its commune's timetable in force stays, while the valid edits
of the other communes apply."""

from __future__ import annotations

import json
import signal
import time
from dataclasses import replace
from datetime import datetime
from typing import Any

import pytest

from broadcastd.audio.catalogue import Catalogue
from broadcastd.contract import StopCommand
from broadcastd.i18n import Language
from broadcastd.simulate.fleet import Fleet
from broadcastd.timetable.loader import load_timetables
from tests.integration.site import Site

from .harness import Commune, Notifications, Window, eventually, scrape, value

pytestmark = pytest.mark.integration


def hang_up(site: Site) -> None:
    assert site.process is not None
    site.process.send_signal(signal.SIGHUP)


def planned(site: Site) -> dict[str, datetime]:
    """What /schedule says is planned: broadcast id -> start."""
    schedule = site.get("/schedule", hours=6)
    return {o["broadcast_id"]: datetime.fromisoformat(o["start"]) for o in schedule["occurrences"]}


def test_sighup_moves_a_slot_and_stops_a_live_broadcast_that_was_removed(
    daemon_site: Site, commune: Commune
) -> None:
    morning, evening = commune.window(1, 120), commune.window(3600, 120)
    live, moved = commune.broadcast_id("morning", morning), commune.broadcast_id("evening", evening)
    daemon_site.write(commune.timetable({"morning": morning, "evening": evening}))
    fleet = Fleet(commune.fleet_config(daemon_site.prefix, speed=1.0))
    fleet.start()
    try:
        assert fleet.wait_online(timeout=15)
        daemon_site.start()
        assert fleet.wait_for(
            lambda view: all(rec.has_ack(live, "playing") for rec in view.values()), timeout=20
        ), daemon_site.log()
        assert planned(daemon_site)[moved] == evening.start

        soon = commune.window(4, 120)
        daemon_site.write(commune.timetable({"evening": soon}))
        hang_up(daemon_site)

        assert fleet.wait_for(
            lambda view: all(rec.has_ack(live, "stopped") for rec in view.values()), timeout=10
        ), daemon_site.log()
        assert planned(daemon_site) == {moved: soon.start}
        # The scheduler's job moved with the slot: the play goes out at the new time.
        assert fleet.wait_for(
            lambda view: all(rec.plays(moved) for rec in view.values()), timeout=10
        ), daemon_site.log()
        for name in commune.clusters:
            record = fleet.snapshot(f"{commune.id}.{name}")
            stops = [c.command for c in record.commands if isinstance(c.command, StopCommand)]
            assert [stop.broadcast_id for stop in stops] == [live]
            assert [(p.start, p.end) for p in record.plays(moved)] == [(soon.start, soon.end)]
    finally:
        fleet.stop()
    assert site_detail_cancelled(daemon_site, live)


def site_detail_cancelled(site: Site, broadcast_id: str) -> bool:
    return bool(site.get(f"/broadcasts/{broadcast_id}")["cancelled"])


def log_events(site: Site) -> list[dict[str, Any]]:
    """The daemon's JSON log lines, as the journal holds them."""
    events = []
    for line in site.log().splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict):
            events.append(event)
    return events


def broken(commune: Commune, window: Window) -> dict[str, Any]:
    """Three mistakes at once: an unknown key, an hour that does not exist, a word for a
    number."""
    data = commune.timetable({"morning": window})
    slot = data["slots"][0]
    slot["volumn"] = 80
    slot["end"] = "25:00"
    slot["priority"] = "khẩn"
    return data


def problems_the_validator_finds(site: Site, library: Any, lang: Language = "vi") -> list[str]:
    """As `validate` words them: in Vietnamese, what /status and /healthz show by
    default; in English, what the journal says."""
    loaded = load_timetables([site.root / "schedules"], Catalogue.load(library))
    return [problem.said(lang) for problem in loaded.errors]


def test_a_broken_timetable_is_refused_by_sighup_and_by_the_file_watch(
    daemon_site: Site, commune: Commune, systemd: Notifications
) -> None:
    first = commune.window(3600, 120)
    bid = commune.broadcast_id("morning", first)
    daemon_site.write(commune.timetable({"morning": first}))
    daemon_site.start()
    assert planned(daemon_site) == {bid: first.start}

    # SIGHUP with a broken file: refused, every error shown, the old timetable stays.
    daemon_site.write(broken(commune, first))
    errors = problems_the_validator_finds(daemon_site, daemon_site.library)
    assert len(errors) >= 3, errors
    hang_up(daemon_site)
    assert eventually(lambda: daemon_site.get("/status")["problems"][: len(errors)] == errors), (
        daemon_site.get("/status")["problems"], errors)
    health = daemon_site.get("/healthz")
    assert health["problems"][: len(errors)] == errors
    assert health["status"] == "ok"
    assert health["checks"]["timetables"]["ok"] is False
    assert planned(daemon_site) == {bid: first.start}
    (rejected,) = [e for e in log_events(daemon_site) if e.get("problems")]
    assert rejected["event"] == "reload: files with errors keep their last good timetable"
    in_english = problems_the_validator_finds(daemon_site, daemon_site.library, "en")
    assert rejected["problems"][: len(in_english)] == in_english
    (note,) = rejected["problems"][len(in_english):]
    assert note.endswith(
        f"{daemon_site.commune}.yaml: the last good timetable of commune {commune.id} "
        "stays in force until its errors are fixed"
    )
    systemd.wait_for(lambda m: m.startswith("STATUS=") and "TIMETABLE ERRORS" in m)

    # An edit fixing it, no signal: the file watch applies it.
    later = commune.window(7200, 120)
    daemon_site.write(commune.timetable({"morning": later}))
    fixed_at = time.time()
    # Its id from its own date: two hours on may be tomorrow in the commune.
    moved_id = commune.broadcast_id("morning", later)
    assert eventually(lambda: planned(daemon_site) == {moved_id: later.start}, timeout_s=8)
    assert daemon_site.get("/status")["problems"] == []
    assert daemon_site.get("/healthz")["checks"]["timetables"]["ok"] is True

    # Broken again, no signal: refused again, the fixed timetable stays.
    daemon_site.write(broken(commune, later))
    assert eventually(lambda: daemon_site.get("/healthz")["problems"][: len(errors)] == errors,
                      timeout_s=8)
    assert planned(daemon_site) == {moved_id: later.start}

    samples = scrape(daemon_site.base_url)
    assert value(samples, "broadcastd_reload_failures_total") == 2
    reloaded = value(samples, "broadcastd_last_reload_success_timestamp_seconds")
    assert fixed_at <= reloaded <= time.time()


def test_one_communes_broken_file_keeps_its_timetable_while_another_communes_edit_applies(
    daemon_site: Site, commune: Commune
) -> None:
    other = Commune.unique()
    first, second = commune.window(3600, 120), other.window(5400, 120)
    mine, theirs = commune.broadcast_id("morning", first), other.broadcast_id("morning", second)
    daemon_site.write(commune.timetable({"morning": first}))
    other_file = daemon_site.root / "schedules" / f"{other.id}.yaml"
    other_file.write_text(json.dumps(other.timetable({"morning": second})), encoding="utf-8")
    daemon_site.start()
    assert planned(daemon_site) == {mine: first.start, theirs: second.start}

    daemon_site.write(broken(commune, first))
    moved = other.window(7200, 120)
    other_file.write_text(json.dumps(other.timetable({"morning": moved})), encoding="utf-8")
    errors = problems_the_validator_finds(daemon_site, daemon_site.library)
    assert errors and all(f"{daemon_site.commune}.yaml" in error for error in errors)
    hang_up(daemon_site)

    moved_id = other.broadcast_id("morning", moved)  # two hours on may be tomorrow
    assert eventually(lambda: planned(daemon_site) == {mine: first.start, moved_id: moved.start})
    health = daemon_site.get("/healthz")
    assert health["problems"][: len(errors)] == errors
    in_english = daemon_site.get("/healthz", lang="en")["problems"]
    assert any(f"commune {commune.id} stays in force" in p for p in in_english)
    assert health["checks"]["timetables"]["ok"] is False
    assert daemon_site.get("/status")["problems"][: len(errors)] == errors
    assert {c["commune"] for c in daemon_site.get("/status")["communes"]} == {commune.id, other.id}
    assert value(scrape(daemon_site.base_url), "broadcastd_reload_failures_total") == 1

    # The broken file removed: its commune is dropped, the other runs on.
    (daemon_site.root / "schedules" / f"{daemon_site.commune}.yaml").unlink()
    hang_up(daemon_site)
    assert eventually(lambda: planned(daemon_site) == {moved_id: moved.start})
    assert daemon_site.get("/healthz")["problems"] == []


def test_an_edit_to_a_live_broadcast_reaches_the_clusters_and_survives_a_restart(
    daemon_site: Site,
) -> None:
    """The issue's case: one cluster added to an area of a slot targeting `all` used to
    stop every other cluster, and nothing was resent."""
    commune = Commune.unique(clusters=5)
    four = replace(commune, clusters=commune.clusters[:4])
    window = commune.window(1, 120)
    bid, revised = commune.broadcast_id("morning", window), f"{commune.broadcast_id('morning', window)}~2"
    daemon_site.write(four.timetable({"morning": window}))
    fleet = Fleet(commune.fleet_config(daemon_site.prefix, speed=1.0))
    fleet.start()
    try:
        assert fleet.wait_online(timeout=15)
        daemon_site.start()
        assert fleet.wait_for(
            lambda view: all(view[c].has_ack(bid, "playing") for c in four.clusters), timeout=20
        ), daemon_site.log()

        # One cluster more in the last area: it alone is sent the broadcast.
        more = four.timetable({"morning": window})
        more["areas"][3]["clusters"].append("loa-05")
        daemon_site.write(more)
        hang_up(daemon_site)
        assert fleet.wait_for(lambda view: view["loa-05"].has_ack(bid, "playing"), timeout=10)
        for name in commune.clusters:
            commands = fleet.snapshot(name).commands
            assert not [c for c in commands if isinstance(c.command, StopCommand)], name

        # The volume changed while it plays: a revision, on every cluster.
        more["slots"][0]["volume"] = 40
        daemon_site.write(more)
        hang_up(daemon_site)
        assert fleet.wait_for(
            lambda view: all(
                view[c].has_ack(bid, "stopped") and view[c].has_ack(revised, "playing")
                for c in commune.clusters
            ),
            timeout=10,
        ), daemon_site.log()
        assert {p.volume for p in fleet.snapshot("loa-01").plays(revised)} == {40}

        # A restart goes on with the revision: the old id is not sent again.
        plays_of_old = {c: len(fleet.snapshot(c).plays(bid)) for c in commune.clusters}
        daemon_site.stop()
        daemon_site.start()
        assert eventually(lambda: all(
            fleet.snapshot(c).plays(revised) for c in commune.clusters), timeout_s=5)
        time.sleep(1)
        assert {c: len(fleet.snapshot(c).plays(bid)) for c in commune.clusters} == plays_of_old
        assert site_detail_cancelled(daemon_site, bid)
        assert not site_detail_cancelled(daemon_site, revised)
        assert daemon_site.get(f"/broadcasts/{revised}")["broadcast_id"] == revised
    finally:
        fleet.stop()
