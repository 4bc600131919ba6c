"""Run every benchmark scenario against the real daemon, Mosquitto and SQLite.

    python bench/run.py            # full run (22 / 1,000 / 10,000 clusters), < 10 min
    python bench/run.py --quick    # smoke run at the smallest sizes, < 1 min
    python bench/run.py --sizes 1000 --broker-port 1885 --retained-by-name
                                   # fan-out and ingest at 1,000 on RabbitMQ's MQTT
    python bench/run.py --sizes 10000 --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
                                   # the 10,000 scenario on PostgreSQL (its own section)
    python bench/run.py --sizes 1000 --only fanout --profile    # py-spy, stacks kept

Prints a table, writes bench/results.json, and (full run) docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import json
import os
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python bench/run.py`: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import report, scenarios
from bench.broker import BenchBroker
from bench.docs import write_doc, write_postgresql

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="broadcastd benchmarks (docs/benchmarks.md)")
    parser.add_argument("--quick", action="store_true", help="smoke run, smallest sizes")
    parser.add_argument("--out", type=Path, default=HERE / "results.json")
    parser.add_argument("--doc", type=Path, help="write the Markdown report here "
                        "(default: docs/benchmarks.md on a full run, none on --quick)")
    parser.add_argument("--keep", action="store_true", help="keep the work folder (logs)")
    parser.add_argument("--ingest-s", type=float, help="ack ingest duration (for profiling)")
    parser.add_argument("--broker-port", type=int, help="use the MQTT broker already "
                        "listening on 127.0.0.1:PORT (e.g. RabbitMQ's MQTT on 1885) instead "
                        "of starting the bench's own Mosquitto (docs/brokers.md)")
    parser.add_argument("--retained-by-name", action="store_true", help="the daemon runs "
                        "with broker.retained_on_wildcards: false (RabbitMQ)")
    parser.add_argument("--sizes", type=lambda text: tuple(int(n) for n in text.split(",")),
                        help="fan-out sizes, e.g. 1000 (the last one also measures ingest); "
                        "with it only fan-out and ingest run, no start-up or timing phase")
    parser.add_argument("--only", help="scenarios to run, comma-separated, of "
                        "startup,fanout,bare,timing (default: all; fanout,bare with --sizes)")
    parser.add_argument("--database-url", help="a PostgreSQL maintenance URL, e.g. "
                        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres: each daemon "
                        "gets its own database there (default: a SQLite file each)")
    parser.add_argument("--profile", action="store_true", help="py-spy each daemon "
                        "(collapsed stacks in its folder; implies --keep)")
    parser.add_argument("--tracemalloc", action="store_true", help="run each daemon with "
                        "tracemalloc; what holds memory at its stop in its folder (slower; "
                        "implies --keep)")
    args = parser.parse_args(argv)
    if args.profile or args.tracemalloc:
        args.keep = True
    for flag, name in ((args.profile, "BENCH_PROFILE"), (args.tracemalloc, "BENCH_TRACEMALLOC")):
        if flag:
            os.environ[name] = "1"
    if args.database_url:
        os.environ["BENCH_DATABASE_URL"] = args.database_url
    every = "fanout,bare" if args.sizes else "startup,fanout,bare,timing"
    wanted = set((args.only or every).split(","))
    if shutil.which("mosquitto_pub") is None:
        print("mosquitto_pub not found: apt-get install mosquitto-clients", file=sys.stderr)
        return 2
    plan = scenarios.Plan.quick() if args.quick else scenarios.Plan.full()
    if args.ingest_s:
        plan = dataclasses.replace(plan, ingest_s=args.ingest_s)
    if args.sizes:
        plan = dataclasses.replace(plan, fanout_sizes=args.sizes)
    run_id = uuid.uuid4().hex[:6]
    root = Path(tempfile.mkdtemp(prefix="broadcastd-bench-"))
    port = args.broker_port or scenarios.free_port()
    os.environ["BENCH_BROKER_PORT"] = str(port)  # read by every worker at import
    if args.retained_by_name:
        os.environ["BENCH_RETAINED_BY_NAME"] = "1"
    broker = None if args.broker_port else BenchBroker(root, port)
    began = time.monotonic()
    results: dict[str, Any] = {"run_id": run_id, "quick": args.quick, "plan": plan.__dict__,
                               "machine": report.machine(), "phases_s": {},
                               "broker_port": port, "broker": _broker_name(args.broker_port),
                               "database": "postgresql" if args.database_url else "sqlite",
                               "load_average": os.getloadavg()}
    try:
        if "startup" in wanted:
            _phase(results, "startup", lambda: scenarios.startup(root, run_id, plan))
        results["fanout"] = []
        for size in plan.fanout_sizes if "fanout" in wanted else ():
            last = size == plan.fanout_sizes[-1]
            fan = _phase(results, f"fanout_{size}", functools.partial(
                scenarios.fanout, root, run_id, size, plan, last))
            results["fanout"].append(fan)
            if last:
                results["ingest"] = fan.pop("ingest")
        if "bare" in wanted:
            _phase(results, "bare_ingest",
                   lambda: scenarios.bare_ingest(root, run_id, plan.fanout_sizes[-1], plan))
        if "timing" in wanted:
            _phase(results, "timing", lambda: scenarios.timing(root, run_id, plan))
        results["load_average_end"] = os.getloadavg()
    finally:
        if broker is not None:
            broker.stop()
        results["total_s"] = time.monotonic() - began
        if args.keep:
            print(f"work folder kept: {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)
    rows = report.rows(results)
    results["rows"] = report.as_json(rows)
    args.out.write_text(json.dumps(results, indent=2), encoding="utf-8")
    print(report.table(rows))
    print(f"\n{results['total_s']:.0f} s in all; results in {args.out}")
    partial = args.quick or args.sizes or args.only or args.ingest_s or args.broker_port
    doc = args.doc or (None if partial else HERE.parent / "docs" / "benchmarks.md")
    if args.database_url and not args.quick:
        page = args.doc or HERE.parent / "docs" / "benchmarks.md"
        command = "python bench/run.py " + " ".join(argv if argv is not None else sys.argv[1:])
        write_postgresql(page, results, rows, command)
        print(f"PostgreSQL section in {page}")
    elif doc is not None:
        write_doc(doc, results, rows)
        print(f"report in {doc}")
    return 0


def _broker_name(port: int | None) -> str:
    """What the run measured against, for results.json."""
    if port is None:
        return "the bench's own Mosquitto"
    return f"the broker on 127.0.0.1:{port}"


def _phase(results: dict[str, Any], name: str, work: Any) -> Any:
    began = time.monotonic()
    print(f"-- {name} ...", flush=True)
    value = work()
    results["phases_s"][name] = round(time.monotonic() - began, 1)
    if not name.startswith("fanout_"):
        results[name] = value
    print(f"   {name}: {results['phases_s'][name]} s", flush=True)
    return value


if __name__ == "__main__":
    sys.exit(main())
