"""bench/reports.py at its smallest, so that it cannot rot, and its section of
docs/benchmarks.md kept when bench/docs.py regenerates the page. Nothing is timed."""

from __future__ import annotations

from pathlib import Path

from bench import reports
from bench.announce import BEGIN as ANNOUNCE_BEGIN
from bench.docs import write_doc

MACHINE = {"cores": 2, "cpu": "cpu", "memory_gb": 4, "kernel": "6", "python": "3.11",
           "sqlite": "3", "broker": "mosquitto"}


def test_a_small_run_writes_its_section_and_a_regeneration_keeps_it(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text(f"# Benchmarks\n\n{ANNOUNCE_BEGIN}\n## Announcements\n"
                   "<!-- announce:end -->\n", encoding="utf-8")
    assert reports.main(["--communes", "2", "--days", "2", "--runs", "1",
                         "--doc", str(doc)]) == 0
    section = reports.kept_section(doc)
    assert "| one commune, month, XLSX | 110 |" in section  # 5 broadcasts x 22 clusters

    write_doc(doc, {"machine": MACHINE, "total_s": 60, "run_id": "r"}, [])
    page = doc.read_text(encoding="utf-8")
    assert section in page
    assert "## Announcements" in page
