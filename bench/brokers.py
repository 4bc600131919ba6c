"""Fan-out and ack ingest at 1,000 clusters on each broker the daemon is tested against:
the bench's own Mosquitto and RabbitMQ's MQTT plugin on 127.0.0.1:1885 (.ci/run).

    python bench/brokers.py        # about 5 minutes; writes the Brokers section of
                                   # docs/benchmarks.md (bench/docs.py carries it over)

Each broker gets the same `bench/run.py --sizes 1000` run, one after the other, so the
daemon, the fleet and the bare baselines meet the same machine.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python bench/brokers.py`: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.sections import Section

DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"
SECTION = Section("<!-- brokers:begin -->", "<!-- brokers:end -->")
RABBITMQ_PORT = 1885
BROKERS = {
    "Mosquitto (the bench's own)": [],
    f"RabbitMQ MQTT (127.0.0.1:{RABBITMQ_PORT})": [
        "--broker-port", str(RABBITMQ_PORT), "--retained-by-name",
    ],
}
# The figures compared, by the start of their name in bench/report.py's rows.
FIGURES = (
    "1,000 clusters: planned send → last play PUBACK",
    "1,000 clusters: planned send → last play at a cluster",
    "1,000 clusters: planned send → last `received` ack stored",
    "acks stored durably",
)


def kept_section(path: Path) -> str:
    """This section as the page holds it now (for bench/docs.py)."""
    return SECTION.kept(path)


def measure(work: Path, ingest_s: float) -> dict[str, dict[str, Any]]:
    from bench import run  # not at import: run -> docs -> this module's kept_section

    found = {}
    for name, options in BROKERS.items():
        out = work / f"{len(found)}.json"
        code = run.main(["--sizes", "1000", "--ingest-s", str(ingest_s), "--out", str(out),
                         *options])
        if code != 0:
            raise SystemExit(f"{name}: bench/run.py exited {code}")
        found[name] = json.loads(out.read_text(encoding="utf-8"))
    return found


def rabbitmq_version() -> str:
    answer = subprocess.run(["rabbitmqctl", "-q", "version"], capture_output=True, text=True,
                            check=False)
    return answer.stdout.strip() or "unknown"


def section(found: dict[str, dict[str, Any]], ingest_s: float) -> str:
    names = list(found)
    mosquitto = next(iter(found.values()))["machine"]["broker"]
    lines = [
        SECTION.begin,
        "## Brokers: Mosquitto and RabbitMQ MQTT at 1,000 clusters",
        "",
        "    python bench/brokers.py     # about 5 minutes; rewrites this section",
        "",
        f"Each broker gets `bench/run.py --sizes 1000 --ingest-s {ingest_s:g}` in turn",
        "(RabbitMQ with `--broker-port 1885 --retained-by-name`): the daemon's fan-out and",
        "ack ingest next to a bare paho loop and a bare durable subscriber on the *same*",
        f"broker. {mosquitto}; RabbitMQ {rabbitmq_version()} with",
        "`mqtt.prefetch = 1000` (.ci/run; [brokers.md](brokers.md)). On this shared",
        "two-core machine the figures move by tens of percent from run to run: compare",
        "the brokers within a run, and each against its own bare baseline.",
        "",
        "| figure | " + " | ".join(names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for figure in FIGURES:
        cells = []
        for name in names:
            row = next(r for r in found[name]["rows"] if r["figure"].startswith(figure))
            unit = row["unit"]
            value = f"{row['value']:,.0f} {unit}" if unit != "s" else f"{row['value']:.3f} s"
            cells.append(f"{value} ({row['vs_limit']}; {row['limit']})" if row["limit"] else value)
        lines.append(f"| {figure} | " + " | ".join(cells) + " |")
    lines.append("")
    return "\n".join(lines) + "\n" + SECTION.end + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--doc", type=Path, default=DOC, help="page to update")
    parser.add_argument("--no-doc", action="store_true", help="print only")
    parser.add_argument("--ingest-s", type=float, default=30.0)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="broadcastd-brokers-bench-") as work:
        found = measure(Path(work), args.ingest_s)
    text = section(found, args.ingest_s)
    print(text)
    if not args.no_doc:
        SECTION.write(args.doc, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
