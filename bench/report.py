"""From the scenarios' raw figures to rows with their ratio to the limit and the
baseline: printed as a table, written as JSON and as docs/benchmarks.md."""

from __future__ import annotations

import math
import os
import platform
import sqlite3
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import psutil

RSS_LIMIT_MB = 150.0
LATENCY_LIMIT_MS = 50.0
FANOUT_SHARE = 0.5
"""Of a bare paho loop's rate, at 10,000 clusters (issue 11)."""
INGEST_SHARE = 0.6
"""Of a bare durable subscriber's rate."""
STORE_LAG_S = 5.0
"""A `received` ack stored within this of the daemon getting it from the broker."""


@dataclass(frozen=True)
class Row:
    scenario: str
    figure: str
    value: float
    unit: str
    limit: str = ""  # what the value is held against, with its figure
    vs_limit: str = ""
    baseline: str = ""
    vs_baseline: str = ""
    target: str = ""
    met: bool | None = None


def _f(value: float, unit: str) -> str:
    if math.isnan(value):
        return "n/a"
    if unit == "s":
        return f"{value:.3f} s"
    if unit == "ms":
        return f"{value:.1f} ms"
    if unit == "MB":
        return f"{value:.0f} MB"
    return f"{value:,.0f} {unit}"


def rows(results: dict[str, Any]) -> list[Row]:
    found: list[Row] = []
    largest = max((f["clusters"] for f in results.get("fanout", [])), default=0)
    for fan in results.get("fanout", []):
        found += _fanout_rows(fan, fan["clusters"] == largest)
    if "ingest" in results:
        found += _ingest_rows(results["ingest"], results.get("bare_ingest", {}))
    if "timing" in results:
        found += _timing_rows(results["timing"])
    for fan in results.get("fanout", []):
        if "peak_rss_mb" in fan:
            rss = fan["peak_rss_mb"]
            found.append(Row("5 footprint", f"peak RSS, {fan['clusters']:,} clusters", rss, "MB",
                             f"{RSS_LIMIT_MB:.0f} MB target", f"{rss / RSS_LIMIT_MB:.2f}× target",
                             target="< 150 MB at 10,000" if fan["clusters"] == largest else "",
                             met=rss < RSS_LIMIT_MB if fan["clusters"] >= 10_000 else None))
    if "startup" in results:
        up = results["startup"]
        found.append(Row("5 footprint", f"start-up to ready, {up['communes']} communes "
                         f"({up['clusters']:,} clusters)", up["ready_s"], "s"))
    return found


def _fanout_rows(fan: dict[str, Any], largest: bool) -> list[Row]:
    n, daemon = fan["clusters"], fan["daemon"]
    raw, cron = fan["raw_paho"], fan["mosquitto_pub"]
    share = raw["seconds"] / daemon["seconds"]
    speedup = cron["seconds"] / daemon["seconds"]
    at_size = f"{n:,} clusters"
    checked = n >= 10_000
    result = [
        Row("1 fan-out", f"{at_size}: planned send → last play PUBACK", daemon["seconds"], "s",
            f"bare paho {raw['seconds']:.3f} s", f"{share:.2f}× raw rate",
            f"mosquitto_pub {cron['seconds']:.3f} s", f"{speedup:.1f}× faster",
            f"≥ {FANOUT_SHARE}× raw" if checked else "",
            share >= FANOUT_SHARE if checked else None),
        Row("1 fan-out", f"{at_size}: planned send → last play at a cluster",
            daemon["last_received_s"], "s",
            f"bare paho {raw['last_received_s']:.3f} s",
            f"{raw['last_received_s'] / daemon['last_received_s']:.2f}× raw rate",
            f"mosquitto_pub {cron['last_received_s']:.3f} s",
            f"{cron['last_received_s'] / daemon['last_received_s']:.1f}× faster"),
        Row("1 fan-out", f"{at_size}: planned send → last `received` ack stored",
            daemon["last_received_ack_stored_s"], "s"),
    ]
    if "received_to_stored_max_s" in daemon:
        lag = daemon["received_to_stored_max_s"]
        result.append(Row(
            "1 fan-out", f"{at_size}: `received` acks, daemon got it → stored, max",
            lag, "s", f"{STORE_LAG_S:.0f} s target", f"{lag / STORE_LAG_S:.2f}× target",
            target=f"< {STORE_LAG_S:.0f} s" if checked else "",
            met=lag < STORE_LAG_S if checked else None))
        result.append(Row(
            "1 fan-out", f"{at_size}: `received` acks, cluster sent it → stored, max",
            daemon["sent_to_stored_max_s"], "s"))
    del largest
    return result


def _ingest_rows(ingest: dict[str, Any], bare: dict[str, Any]) -> list[Row]:
    daemon = ingest["daemon"]
    result = []
    if "bare" in bare:
        share = daemon["rate"] / bare["bare"]["rate"]
        result.append(Row("2 ack ingest", f"acks stored durably, {daemon['seconds']:.0f} s",
                          daemon["rate"], "acks/s", f"bare subscriber {bare['bare']['rate']:,.0f}/s",
                          f"{share:.2f}× bare", target=f"≥ {INGEST_SHARE}× bare",
                          met=share >= INGEST_SHARE))
    result.append(Row("2 ack ingest", "backlog at the end (published, not stored)",
                      daemon["backlog"], "acks",
                      baseline=f"bare {bare['bare']['backlog']:,} acks" if "bare" in bare else ""))
    result.append(Row("2 ack ingest", "acks stored during the status load",
                      ingest["during_status"]["rate"], "acks/s"))
    for path, stats in ingest["status"].items():
        for key, label in (("median_ms", "median"), ("p99_ms", "p99")):
            value = stats[key]
            checked = path == "/status" and key == "p99_ms"
            result.append(Row("4 status under load", f"{path} {label} ({stats['n']} requests)",
                              value, "ms", f"{LATENCY_LIMIT_MS:.0f} ms target",
                              f"{value / LATENCY_LIMIT_MS:.2f}× target",
                              target="p99 < 50 ms" if checked else "",
                              met=value < LATENCY_LIMIT_MS if checked else None))
    return result


def _timing_rows(timing: dict[str, Any]) -> list[Row]:
    daemon, cron = timing["daemon"], timing["cron"]
    result = []
    for key, label in (("median_ms", "median"), ("p99_ms", "p99"), ("max_ms", "max")):
        value = daemon[key]
        checked = key == "p99_ms"
        result.append(Row("3 timing", f"lag to first play, {label} ({timing['slot_starts']} slots)",
                          value, "ms", f"{LATENCY_LIMIT_MS:.0f} ms target",
                          f"{value / LATENCY_LIMIT_MS:.2f}× target",
                          f"cron+mosquitto_pub {cron[key]:.1f} ms",
                          f"{cron[key] / value:.1f}× less lag" if value > 0 else "",
                          "p99 < 50 ms" if checked else "",
                          value < LATENCY_LIMIT_MS if checked else None))
    return result


def machine() -> dict[str, Any]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    try:
        broker = subprocess.run(["mosquitto", "-h"], capture_output=True, text=True, check=False).stdout
        broker = broker.splitlines()[0] if broker else ""
    except OSError:
        broker = ""
    return {
        "cores": os.cpu_count(),
        "cpu": model,
        "memory_gb": round(psutil.virtual_memory().total / 2**30, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "broker": broker,
        "kernel": platform.release(),
    }


def table(found: list[Row]) -> str:
    header = ("scenario", "figure", "value", "vs limit", "vs baseline", "target")
    lines = [[r.scenario, r.figure, _f(r.value, r.unit),
              f"{r.vs_limit} ({r.limit})" if r.limit else "",
              f"{r.vs_baseline} ({r.baseline})" if r.baseline else "",
              f"{r.target} {'MET' if r.met else 'MISSED'}" if r.met is not None else ""]
             for r in found]
    return "\n".join(["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
                     + ["| " + " | ".join(line) + " |" for line in lines])


def as_json(found: list[Row]) -> list[dict[str, Any]]:
    return [asdict(row) for row in found]
