"""How fast an announcement reaches the clusters: from `POST /announcements` to the last
of N clusters acking `playing` (not a test: figures for docs/benchmarks.md).

    python bench/announce.py                 # 22 and 1,000 clusters; updates the
                                             # "Announcements" section of docs/benchmarks.md
    python bench/announce.py --sizes 22 --no-doc

Each size is one commune of that many clusters (an announcement goes to one commune),
the simulated fleet in its own process, the daemon as `broadcastd run`, and the bench's
own Mosquitto (bench/broker.py). The announcement is `start: now` with the shipped
`announce.lead_s` (5 s: the files are fetched before the start), priority emergency,
one stream item: so *POST to last playing* is the lead plus what the daemon, the broker
and the clusters add; *start to last playing* is that addition alone.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # `python bench/announce.py`: make `bench` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx

from bench.broker import BenchBroker
from bench.proc import REPO
from bench.scenarios import Fleet, free_port, wait_until
from bench.sections import Section
from bench.site import BenchDaemon, bench_zone, timetable

DOC = REPO / "docs" / "benchmarks.md"
BEGIN, END = "<!-- announce:begin -->", "<!-- announce:end -->"
STREAM = {"stream": "http://127.0.0.1:9/relay", "duration_s": 30}


def measure(root: Path, run_id: str, size: int) -> dict[str, float]:
    prefix = f"bench-{run_id}-a{size}"
    commune = f"a{size}-{run_id}"
    clusters = [f"kl-{number:04d}" for number in range(1, size + 1)]
    zone = bench_zone()
    fleet = Fleet(root, prefix, [(commune, cluster) for cluster in clusters])
    daemon = BenchDaemon(root / prefix, prefix, free_port(), zone)
    try:
        daemon.write_timetables({commune: timetable(commune, clusters, zone, [])})
        token = _operator_token(daemon.write_config())
        daemon.start()
        wait_until(
            lambda: daemon.query("SELECT count(*) FROM cluster_presence WHERE online")[0][0]
            >= size, 180, "presence of every cluster stored", poll=0.2,
        )
        body = {"commune": commune, "priority": "emergency", "items": [STREAM],
                "start": "now", "title": "bench"}
        posted = time.time()
        answer = httpx.post(f"{daemon.base_url}/announcements", json=body, timeout=30,
                            headers={"Authorization": f"Bearer {token}"})
        answered = time.time()
        answer.raise_for_status()
        made: dict[str, Any] = answer.json()
        bid = made["broadcast_id"]
        start = _epoch(made["start"])
        playing: list[float] = []

        def all_playing() -> bool:
            nonlocal playing
            playing = fleet.worker.call("acks", timeout=120, broadcast_id=bid,
                                        state="playing")["acks"]
            return bool(playing) and playing[2] >= size

        wait_until(all_playing, 120, "every cluster playing", poll=0.5)
        received = fleet.plays()[bid]
        return {
            "clusters": size,
            "post_answer_s": answered - posted,
            "lead_s": start - posted,
            "last_play_received_s": received[1] - posted,
            "last_playing_s": playing[1] - posted,
            "first_playing_after_start_s": playing[0] - start,
            "last_playing_after_start_s": playing[1] - start,
        }
    finally:
        daemon.stop()
        fleet.close()


def _epoch(text: str) -> float:
    from datetime import datetime

    return datetime.fromisoformat(text).timestamp()


def _operator_token(config: Path) -> str:
    made = subprocess.run(
        [sys.executable, "-m", "broadcastd", "token", "create", "--config", str(config),
         "--name", "bench", "--role", "operator"],
        capture_output=True, text=True, check=True, cwd=REPO,
    )
    return made.stdout.strip()


def section(figures: list[dict[str, float]], command: str) -> str:
    rows = "\n".join(
        f"| {f['clusters']:,} | {f['post_answer_s'] * 1000:.0f} ms | {f['lead_s']:.2f} s "
        f"| {f['last_play_received_s']:.2f} s | {f['last_playing_s']:.2f} s "
        f"| {f['first_playing_after_start_s']:.3f} s | {f['last_playing_after_start_s']:.3f} s |"
        for f in figures
    )
    return f"""{BEGIN}
## Announcements: from `POST /announcements` to `playing`

Measured by `{command}` (not part of `bench/run.py`; this section is kept when the
page is regenerated). One commune of N clusters, every cluster targeted, priority
emergency, `start: "now"` with the shipped `announce.lead_s: 5`: the play goes to every
cluster at once and the clusters start at the announced start, by the clock. So *POST
to last `playing`* is the lead (chosen, so that files are fetched first) plus what the
daemon, Mosquitto and the simulated clusters add after the start (the last two columns).
Times are wall clock on the same machine (daemon, broker and fleet share its 2 cores).

| clusters | POST answered | start after POST | last play received | last `playing` after POST | first `playing` after start | last `playing` after start |
|---:|---:|---:|---:|---:|---:|---:|
{rows}
{END}
"""


SECTION = Section(BEGIN, END)


def kept_section(path: Path) -> str:
    """The announcements section of a page, for `bench/docs.py` to carry over."""
    return SECTION.kept(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="announce-to-playing times")
    parser.add_argument("--sizes", default="22,1000", help="cluster counts, comma-separated")
    parser.add_argument("--doc", type=Path, default=DOC)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args(argv)
    if shutil.which("mosquitto") is None:
        print("mosquitto not found: apt-get install mosquitto", file=sys.stderr)
        return 2
    sizes = [int(size) for size in args.sizes.split(",")]
    root = Path(tempfile.mkdtemp(prefix="broadcastd-announce-bench-"))
    port = free_port()
    os.environ["BENCH_BROKER_PORT"] = str(port)  # read by every worker at import
    broker = BenchBroker(root, port)
    run_id = uuid.uuid4().hex[:6]
    figures = []
    try:
        for size in sizes:
            print(f"-- {size} clusters ...", flush=True)
            result = measure(root, run_id, size)
            figures.append(result)
            print("   " + ", ".join(f"{k} {v:.3f}" for k, v in result.items()), flush=True)
    finally:
        broker.stop()
        shutil.rmtree(root, ignore_errors=True)
    command = "python bench/announce.py" + (
        f" --sizes {args.sizes}" if args.sizes != "22,1000" else ""
    )
    text = section(figures, command)
    print(text)
    if not args.no_doc:
        SECTION.write(args.doc, text)
        print(f"section written to {args.doc}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
