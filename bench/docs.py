"""docs/benchmarks.md, regenerated from a full run's results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.announce import kept_section
from bench.brokers import kept_section as kept_brokers_section
from bench.report import Row, table
from bench.reports import kept_section as kept_reports_section
from bench.tts import kept_section as kept_tts_section


def write_doc(path: Path, results: dict[str, Any], found: list[Row]) -> None:
    machine = results["machine"]
    notes_path = Path(__file__).with_name("NOTES.md")
    notes = notes_path.read_text(encoding="utf-8") if notes_path.exists() else ""
    # Measured by bench/announce.py, not by this run: carried over as it is.
    announcements = kept_section(path)
    reports = kept_reports_section(path)  # bench/reports.py's, likewise
    speech = kept_tts_section(path)  # bench/tts.py's, likewise
    brokers = kept_brokers_section(path)  # bench/brokers.py's, likewise
    text = f"""# Benchmarks

How fast broadcastd is on one machine, next to the limit of that machine (a bare paho
loop, a bare SQLite subscriber) and next to what an official would otherwise use (cron
plus one `mosquitto_pub` per cluster), all measured in the same run.

Run it (about {results["total_s"] / 60:.0f} minutes; needs the `mosquitto` binary, which the bench
starts on a free port with its own config (see below), and
`mosquitto-clients`):

    python bench/run.py            # full run: prints the table, writes bench/results.json
                                   # and this page
    python bench/run.py --quick    # smoke run at the smallest sizes (tests/bench runs it)

Machine: {machine['cores']} cores ({machine['cpu']}), {machine['memory_gb']} GB memory,
Linux {machine['kernel']}, Python {machine['python']}, SQLite {machine['sqlite']},
{machine['broker']}. Run `{results['run_id']}`, {results['total_s']:.0f} s in all.

## Latest table

{table(found)}

{announcements}
{reports}
{speech}
{brokers}
{notes}"""
    path.write_text(text, encoding="utf-8")
