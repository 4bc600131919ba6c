"""Steady HTTP load from its own process (`python -m bench.http_load URL SECONDS PATH...`):
one client asking the paths in turn, back to back; prints each path's latencies (ms)."""

from __future__ import annotations

import json
import sys
import time

import httpx


def main() -> None:
    base, seconds, paths = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
    latencies: dict[str, list[float]] = {path: [] for path in paths}
    sizes: dict[str, int] = {}
    errors = 0
    with httpx.Client(base_url=base, timeout=30.0) as client:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            for path in paths:
                began = time.perf_counter()
                response = client.get(path)
                elapsed = (time.perf_counter() - began) * 1000
                if response.status_code != 200:
                    errors += 1
                    continue
                latencies[path].append(elapsed)
                sizes[path] = len(response.content)
    print(json.dumps({"latencies_ms": latencies, "bytes": sizes, "errors": errors}))


if __name__ == "__main__":
    main()
