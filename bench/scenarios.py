"""The five scenarios. Each starts what it needs (fleet, daemon, load) in its own
processes, measures, and stops it all; figures are plain dicts for `report`."""

from __future__ import annotations

import json
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import baselines
from bench.proc import REPO, Worker
from bench.site import (
    BenchDaemon,
    SlotSpec,
    bench_zone,
    clear_retained,
    communes,
    slot_bid,
    timetable,
    utc_epoch,
    whole_second,
)

Figures = dict[str, Any]
# Acks published and not yet stored, at most: well under Mosquitto's 1,000 queued
# messages per subscriber, beyond which it drops them.
WINDOW = 400


@dataclass(frozen=True)
class Plan:
    """Sizes and durations: the full run, or the smoke run (`--quick`)."""

    fanout_sizes: tuple[int, ...]
    ingest_s: float
    status_s: float
    timing_communes: int
    timing_rounds: int
    startup_communes: int

    @classmethod
    def full(cls) -> Plan:
        return cls((22, 1_000, 10_000), 60.0, 15.0, 4, 26, 500)

    @classmethod
    def quick(cls) -> Plan:
        return cls((22,), 3.0, 2.0, 2, 3, 10)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def wait_until(check: Callable[[], bool], timeout: float, what: str, poll: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout} s")
        time.sleep(poll)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def summary_ms(values: list[float]) -> dict[str, float]:
    return {
        "n": len(values),
        "median_ms": statistics.median(values) if values else float("nan"),
        "p99_ms": percentile(values, 0.99),
        "max_ms": max(values) if values else float("nan"),
    }


class Fleet:
    """A fleet worker process for a list of (commune, cluster)."""

    def __init__(self, root: Path, prefix: str, targets: list[tuple[str, str]]) -> None:
        spec = root / f"fleet-{prefix}.json"
        spec.write_text(json.dumps({"prefix": prefix, "clusters": targets, "speed": 1.0}))
        self.prefix, self.targets = prefix, targets
        self.worker = Worker("fleet_worker", str(spec), log=root / f"fleet-{prefix}.log")
        self.worker.reply(60)
        answer = self.worker.call("wait_online", timeout=300, timeout_s=240)
        if not answer["ok"]:
            raise RuntimeError(f"fleet not online: {answer}")
        self.connect_s = float(answer["seconds"])

    def plays(self) -> dict[str, list[float]]:
        found: dict[str, list[float]] = self.worker.call("plays", timeout=120)["plays"]
        return found

    def wait_reached(self, bid: str, count: int, timeout: float) -> list[float]:
        """Wait until `count` clusters received a play of `bid`: [first, last, count]."""
        deadline = time.monotonic() + timeout
        while True:
            entry = self.plays().get(bid)
            if entry is not None and entry[2] >= count:
                return entry
            if time.monotonic() > deadline:
                raise TimeoutError(f"{bid}: {entry} of {count} clusters reached")
            time.sleep(0.5)

    def close(self) -> None:
        self.worker.close(timeout=60)
        clear_retained(self.prefix, self.targets)


def _targets(groups: list[tuple[str, list[str]]]) -> list[tuple[str, str]]:
    return [(commune, cluster) for commune, clusters in groups for cluster in clusters]


def start_daemon(root: Path, prefix: str, groups: list[tuple[str, list[str]]]) -> BenchDaemon:
    """The daemon with the communes' timetables, no slot yet (slots come by reload)."""
    zone = bench_zone()
    daemon = BenchDaemon(root / prefix, prefix, free_port(), zone)
    daemon.write_timetables({c: timetable(c, ks, zone, []) for c, ks in groups})
    daemon.start()
    return daemon


def open_slots(
    daemon: BenchDaemon,
    groups: list[tuple[str, list[str]]],
    slots_of: Callable[[int], list[SlotSpec]],
) -> list[str]:
    """Write timetables with slots, wait until the daemon has reloaded and planned them."""
    tables = {c: timetable(c, ks, daemon.zone, slots_of(n)) for n, (c, ks) in enumerate(groups)}
    wanted = {slot_bid(c, slot, daemon.zone) for n, (c, _) in enumerate(groups)
              for slot in slots_of(n)}
    daemon.write_timetables(tables)
    first = min(slot.start for n in range(len(groups)) for slot in slots_of(n))
    wait_until(lambda: wanted <= daemon.planned(), 60, "daemon reload", poll=0.2)
    margin = (first - datetime.now(UTC)).total_seconds()
    if margin < 0.5:
        raise RuntimeError(f"reload finished {-margin:.1f} s after the first slot start")
    return sorted(wanted)


# -- 1. fan-out (and, at the largest size, 2. ingest, 4. status, 5. footprint) -----------


def fanout(root: Path, run_id: str, size: int, plan: Plan, last: bool) -> Figures:
    prefix = f"bench-{run_id}-f{size}"
    groups = communes(f"f{size}-{run_id}", size)
    targets = _targets(groups)
    fleet = Fleet(root, prefix, targets)
    figures: Figures = {"clusters": size, "fleet_connect_s": fleet.connect_s}
    daemon: BenchDaemon | None = None
    try:
        figures["raw_paho"] = _baseline(fleet, size, f"raw-{run_id}/fanout/x",
                                        lambda bid: baselines.raw_paho(prefix, targets, bid))
        script = baselines.cron_script(root / f"cron-{size}.sh", prefix, targets,
                                       f"cron-{run_id}/fanout/x", baselines.tomorrow())
        figures["mosquitto_pub"] = _baseline(fleet, size, f"cron-{run_id}/fanout/x",
                                             lambda bid: baselines.mosquitto_pub(script))
        daemon = start_daemon(root, prefix, groups)
        wait_until(lambda: daemon.query("SELECT count(*) FROM cluster_presence WHERE online")[0][0]
                   >= size, 180, "presence of every cluster stored", poll=0.2)
        figures["daemon"] = _daemon_fanout(daemon, fleet, groups, size)
        figures["rss_after_fanout_mb"] = daemon.rss_mb()[1]
        if last:
            figures["ingest"] = ingest_and_status(root, daemon, groups, plan)
    finally:
        if daemon is not None:
            daemon.stop()
            figures["peak_rss_mb"] = daemon.peak_rss_mb
        fleet.close()
    return figures


def _baseline(fleet: Fleet, size: int, bid: str, send: Callable[[str], dict[str, float]]
              ) -> Figures:
    result: Figures = dict(send(bid))
    last = fleet.wait_reached(bid, size, timeout=120)[1]
    result["last_received_s"] = last - result["start"]
    result["rate_per_s"] = size / result["seconds"]
    return result


def _daemon_fanout(
    daemon: BenchDaemon, fleet: Fleet, groups: list[tuple[str, list[str]]], size: int
) -> Figures:
    start = whole_second(after_s=4.0 + size / 1000)  # the reload of 455 files, on a shared machine
    slot = SlotSpec("fanout", start, start + timedelta(minutes=25))
    bids = open_slots(daemon, groups, lambda n: [slot])
    planned = start.timestamp()

    def stored() -> bool:
        published = daemon.query("SELECT count(published_at) FROM deliveries")[0][0]
        received = daemon.query("SELECT count(*) FROM ack_events WHERE state = 'received'")[0][0]
        return bool(published >= size and received >= size)

    try:
        wait_until(lambda: time.time() > planned and stored(), 180, "fan-out stored", poll=0.05)
    except TimeoutError:
        pass  # reported below as fewer `received` acks than clusters
    received = daemon.query("SELECT count(*) FROM ack_events WHERE state = 'received'")[0][0]
    last_puback = utc_epoch(daemon.query("SELECT max(published_at) FROM deliveries")[0][0])
    last_received = utc_epoch(daemon.query(
        "SELECT max(stored_at) FROM ack_events WHERE state = 'received'")[0][0])
    lags = [(utc_epoch(stored), utc_epoch(got), utc_epoch(sent)) for got, stored, sent in
            daemon.query("SELECT received_at, stored_at, cluster_at FROM ack_events "
                         "WHERE state = 'received'")]
    plays = fleet.plays()
    reached = [plays[bid] for bid in bids]
    assert last_puback is not None and last_received is not None
    seconds = last_puback - planned
    return {
        "start": planned,
        "last_puback": last_puback,
        "seconds": seconds,
        "rate_per_s": size / seconds,
        "first_received_by_fleet_s": min(entry[0] for entry in reached) - planned,
        "last_received_s": max(entry[1] for entry in reached) - planned,
        "last_received_ack_stored_s": last_received - planned,
        "broadcasts": len(bids),
        "received_acks_stored": received,
        "received_to_stored_max_s": max((a - b for a, b, _ in lags if a and b), default=0.0),
        "sent_to_stored_max_s": max((a - c for a, _, c in lags if a and c), default=0.0),
    }


# -- 2. ack ingest and 4. status under load --------------------------------------------------


def ingest_and_status(
    root: Path, daemon: BenchDaemon, groups: list[tuple[str, list[str]]], plan: Plan
) -> Figures:
    bid_of = dict(daemon.query("SELECT commune, id FROM broadcasts WHERE slot = 'fanout'"))
    targets = [(c, k, bid_of[c]) for c, ks in groups for k in ks]
    spec = root / f"acks-{daemon.prefix}.json"
    spec.write_text(json.dumps({"prefix": daemon.prefix, "targets": targets,
                                "db": daemon.database,
                                "sql": "SELECT max(id) FROM ack_events"}))
    load = Worker("ack_load", str(spec), log=root / "ack_load.log")
    try:
        load.reply(30)
        sustained = load.call("run", timeout=plan.ingest_s + 60, seconds=plan.ingest_s,
                              window=WINDOW)
        http = subprocess.Popen(
            [sys.executable, "-m", "bench.http_load", daemon.base_url, str(plan.status_s),
             "/status", f"/status?commune={groups[0][0]}", "/broadcasts"],
            cwd=REPO, stdout=subprocess.PIPE, text=True,
        )
        during = load.call("run", timeout=plan.status_s + 60, seconds=plan.status_s + 0.5,
                           window=WINDOW)
        out, _ = http.communicate(timeout=plan.status_s + 120)
        drain = load.call("drain", timeout=90, timeout_s=60)
    finally:
        load.close()
    answer = json.loads(out)
    status = {path: summary_ms(values) for path, values in answer["latencies_ms"].items()}
    return {"daemon": sustained, "during_status": during, "drain": drain,
            "status": status, "status_bytes": answer["bytes"], "status_errors": answer["errors"]}


def bare_ingest(root: Path, run_id: str, clusters: int, plan: Plan) -> Figures:
    """The same closed-loop ack load against the bare subscriber."""
    prefix = f"bench-{run_id}-bare"
    database = root / "bare.db"
    bare = Worker("bare_ingest", prefix, str(database), log=root / "bare.log")
    try:
        bare.reply(30)
        targets = [(c, k, f"{c}/fanout/x") for c, ks in communes(f"b-{run_id}", clusters)
                   for k in ks]
        spec = root / "acks-bare.json"
        spec.write_text(json.dumps({"prefix": prefix, "targets": targets, "db": str(database),
                                    "sql": "SELECT max(id) FROM acks"}))
        load = Worker("ack_load", str(spec), log=root / "ack_load_bare.log")
        try:
            load.reply(30)
            sustained = load.call("run", timeout=plan.ingest_s + 60, seconds=plan.ingest_s,
                                  window=WINDOW)
            drain = load.call("drain", timeout=90, timeout_s=60)
        finally:
            load.close()
    finally:
        bare.close()
    return {"bare": sustained, "drain": drain}


# -- 3. timing ----------------------------------------------------------------------------------


def timing(root: Path, run_id: str, plan: Plan) -> Figures:
    prefix, cron_prefix = f"bench-{run_id}-t", f"bench-{run_id}-tcron"
    count = plan.timing_communes
    groups = communes(f"t-{run_id}", 22 * count)
    fleet = Fleet(root, prefix, _targets(groups))
    probe = Worker("probe", prefix, cron_prefix, log=root / "probe.log")
    daemon: BenchDaemon | None = None
    try:
        probe.reply(30)
        daemon = start_daemon(root, prefix, groups)
        base = whole_second(after_s=4.0)

        def slots_of(n: int) -> list[SlotSpec]:
            return [SlotSpec(f"s{j:03d}", start, start + timedelta(seconds=count - 1))
                    for j in range(plan.timing_rounds)
                    for start in [base + timedelta(seconds=n + count * j)]]

        bids = open_slots(daemon, groups, slots_of)
        planned = {slot_bid(c, slot, daemon.zone): slot.start.timestamp()
                   for n, (c, _) in enumerate(groups) for slot in slots_of(n)}
        cron = _cron_jobs(root, cron_prefix, groups, slots_of, run_id)
        jobs = root / "cron-jobs.json"
        jobs.write_text(json.dumps([[at, script] for at, script, _ in cron]))
        runner = subprocess.Popen([sys.executable, "-m", "bench.cron_worker", str(jobs)],
                                  cwd=REPO, stdout=subprocess.DEVNULL)
        end = max(planned.values()) + 3.0
        time.sleep(max(0.0, end - time.time()))
        runner.wait(60)
        first = probe.call("report")["first"]
    finally:
        if daemon is not None:
            daemon.stop()
        probe.close()
        fleet.close()
    daemon_lags = [(first[bid] - at) * 1000 for bid, at in planned.items() if bid in first]
    cron_lags = [(first[bid] - at) * 1000 for at, _, bid in cron if bid in first]
    return {
        "slot_starts": len(bids),
        "daemon": {**summary_ms(daemon_lags), "missed": len(planned) - len(daemon_lags)},
        "cron": {**summary_ms(cron_lags), "missed": len(cron) - len(cron_lags)},
    }


def _cron_jobs(root: Path, prefix: str, groups: list[tuple[str, list[str]]],
               slots_of: Callable[[int], list[SlotSpec]], run_id: str
               ) -> list[tuple[float, str, str]]:
    """One cron job per daemon slot, half a second later, to the same number of clusters."""
    jobs = []
    folder = root / "cron"
    folder.mkdir(exist_ok=True)
    for n, (commune, clusters) in enumerate(groups):
        for slot in slots_of(n):
            bid = f"cron-{run_id}-{n}/{slot.id}/x"
            script = baselines.cron_script(folder / f"{n}-{slot.id}.sh", prefix,
                                           [(commune, k) for k in clusters], bid, slot.start)
            jobs.append((slot.start.timestamp() + 0.5, str(script), bid))
    return jobs


# -- 5. start-up -----------------------------------------------------------------------------


def startup(root: Path, run_id: str, plan: Plan) -> Figures:
    prefix = f"bench-{run_id}-s"
    zone = bench_zone()
    groups = communes(f"s-{run_id}", 22 * plan.startup_communes)
    daemon = BenchDaemon(root / prefix, prefix, free_port(), zone)
    today = datetime.now(zone).replace(hour=0, minute=0, second=0, microsecond=0)
    slots = [SlotSpec("morning", today.replace(hour=5, minute=30), today.replace(hour=6)),
             SlotSpec("evening", today.replace(hour=17, minute=30), today.replace(hour=18))]
    daemon.write_timetables({c: timetable(c, ks, zone, slots) for c, ks in groups})
    try:
        ready = daemon.start()
        rss = daemon.rss_mb()[1]
    finally:
        daemon.stop()
    return {"communes": len(groups), "clusters": 22 * len(groups), "ready_s": ready,
            "peak_rss_mb": rss}
