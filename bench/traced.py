"""`python -m bench.traced OUT run ...`: `broadcastd run ...` with tracemalloc on; at
exit, what holds the most memory (by line and by file) is written to OUT. Slower than
a plain run: for finding what holds memory, not for the figures."""

from __future__ import annotations

import atexit
import sys
import tracemalloc
from pathlib import Path

from broadcastd.cli import main


def report(out: Path) -> None:
    snapshot = tracemalloc.take_snapshot().filter_traces(
        [tracemalloc.Filter(False, tracemalloc.__file__)])
    current, peak = tracemalloc.get_traced_memory()
    lines = [f"traced now {current / 2**20:.1f} MB, traced peak {peak / 2**20:.1f} MB", ""]
    for kind in ("filename", "lineno"):
        stats = snapshot.statistics(kind)
        lines.append(f"-- top 25 by {kind} (of {sum(s.size for s in stats) / 2**20:.1f} MB)")
        lines.extend(f"{s.size / 2**20:8.2f} MB {s.count:9d}  {s.traceback}" for s in stats[:25])
        lines.append("")
    out.write_text("\n".join(lines), encoding="utf-8")


if __name__ == "__main__":
    target = Path(sys.argv.pop(1))
    tracemalloc.start(1)
    atexit.register(report, target)
    sys.argv[0] = "broadcastd"
    sys.exit(main())
