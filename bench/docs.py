"""docs/benchmarks.md, regenerated from a full run's results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.announce import kept_section
from bench.brokers import kept_section as kept_brokers_section
from bench.report import Row, table
from bench.reports import kept_section as kept_reports_section
from bench.sections import Section
from bench.tts import kept_section as kept_tts_section

POSTGRESQL = Section("<!-- postgresql:begin -->", "<!-- postgresql:end -->")
"""The same scenarios on PostgreSQL (`--database-url`): written by that run, kept by
the others."""


def load_text(results: dict[str, Any]) -> str:
    """The machine's load average at the start and end of a run, when it was recorded."""
    start, end = results.get("load_average"), results.get("load_average_end")
    if not start:
        return ""
    said = f"; load\naverage {start[0]:.1f} at the start"
    if end:
        said += f", {end[0]:.1f} at the end"
    return said + " (the 2 cores are shared with other work)"


def write_postgresql(path: Path, results: dict[str, Any], found: list[Row], command: str
                     ) -> None:
    load = results["load_average"]
    POSTGRESQL.write(path, f"""{POSTGRESQL.begin}
## On PostgreSQL

The same scenarios with the daemon's database on PostgreSQL (each daemon its own
database on the server; the bare subscriber stays the SQLite one, so its ratio is
against SQLite's limit). Run `{results['run_id']}`, {results['total_s']:.0f} s; load average
{load[0]:.1f} at the start (2 cores shared):

    {command}

{table(found)}
{POSTGRESQL.end}
""")


def write_doc(path: Path, results: dict[str, Any], found: list[Row]) -> None:
    machine = results["machine"]
    notes_path = Path(__file__).with_name("NOTES.md")
    notes = notes_path.read_text(encoding="utf-8") if notes_path.exists() else ""
    # Measured by bench/announce.py, not by this run: carried over as it is.
    announcements = kept_section(path)
    reports = kept_reports_section(path)  # bench/reports.py's, likewise
    speech = kept_tts_section(path)  # bench/tts.py's, likewise
    postgresql = POSTGRESQL.kept(path)  # the PostgreSQL run's
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
{machine['broker']}. Run `{results['run_id']}`, {results['total_s']:.0f} s in all{load_text(results)}.

Options for one part at a time (`python bench/run.py --help`): `--sizes 1000` (fan-out
sizes; ingest and the status load run on the last), `--only fanout,bare` (of
`startup,fanout,bare,timing`), `--database-url URL` (PostgreSQL, below), `--profile`
(py-spy samples each daemon: collapsed stacks per thread in its folder), `--tracemalloc`
(what holds the Python heap when each daemon stops), `--keep`.

## Latest table

{table(found)}

{postgresql}
{notes}
{announcements}
{reports}
{speech}
{brokers}"""
    path.write_text(text, encoding="utf-8")
