"""The benchmark suite, run at its smallest size, so that it cannot rot.

Nothing here is timed: the test checks that one command runs every scenario against
the real daemon, Mosquitto and SQLite, and reports every figure the issue asks for.
"""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

FIGURES = (
    "1 fan-out",
    "2 ack ingest",
    "3 timing",
    "4 status under load",
    "5 footprint",
)


@pytest.mark.usefixtures("mosquitto")
def test_quick_run_reports_every_figure(tmp_path: Path) -> None:
    out, doc = tmp_path / "results.json", tmp_path / "benchmarks.md"
    run = subprocess.run(
        [sys.executable, "bench/run.py", "--quick", "--out", str(out), "--doc", str(doc)],
        check=False, cwd=REPO, capture_output=True, text=True, timeout=170,
    )
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    results = json.loads(out.read_text())
    rows = results["rows"]
    assert {row["scenario"] for row in rows} == set(FIGURES)
    assert all(math.isfinite(row["value"]) for row in rows), rows
    fan = results["fanout"][0]
    # Every cluster got its play, from the daemon and from both baselines.
    assert fan["daemon"]["broadcasts"] == 1
    for way in ("daemon", "raw_paho", "mosquitto_pub"):
        assert fan[way]["last_received_s"] > 0
    # Every ack the load published was stored, and every slot start was seen.
    assert results["ingest"]["drain"]["drained"]
    assert results["bare_ingest"]["drain"]["drained"]
    assert results["timing"]["daemon"]["missed"] == 0
    assert results["timing"]["cron"]["missed"] == 0
    assert results["ingest"]["status_errors"] == 0
    assert "| scenario |" in doc.read_text() and "| scenario |" in run.stdout
