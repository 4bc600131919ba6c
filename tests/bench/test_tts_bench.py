"""bench/tts.py at its smallest, so that it cannot rot, and its section of
docs/benchmarks.md kept when bench/docs.py regenerates the page. Nothing is timed."""

from __future__ import annotations

from pathlib import Path

from bench import tts
from bench.docs import write_doc

MACHINE = {"cores": 2, "cpu": "cpu", "memory_gb": 4, "kernel": "6", "python": "3.11",
           "sqlite": "3", "broker": "mosquitto"}


def test_a_short_run_writes_its_section_and_a_regeneration_keeps_it(tmp_path: Path) -> None:
    doc = tmp_path / "benchmarks.md"
    doc.write_text("# Benchmarks\n", encoding="utf-8")
    assert tts.main(["--only", "short", "--doc", str(doc)]) == 0
    section = tts.kept_section(doc)
    assert "| short | 71 |" in section
    assert "LUFS" in section

    write_doc(doc, {"machine": MACHINE, "total_s": 60, "run_id": "r"}, [])
    assert section in doc.read_text(encoding="utf-8")
