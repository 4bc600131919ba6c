"""Cron, emulated at one-second precision (`python -m bench.cron_worker JOBS.json`).

Real cron wakes once a minute; this sleeps to the exact planned instant, then forks
`/bin/sh SCRIPT` the way cron runs a job, without waiting for it. That is cron's best
case: its lag here is only what fork, exec and `mosquitto_pub` cost."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path


def main() -> None:
    jobs = sorted(json.loads(Path(sys.argv[1]).read_text()))
    running = []
    for at, script in jobs:
        delay = at - time.time()
        if delay > 0:
            time.sleep(delay)
        running.append(subprocess.Popen(["/bin/sh", script], stdout=subprocess.DEVNULL))
    for process in running:
        process.wait()
    print(json.dumps({"jobs": len(running)}))


if __name__ == "__main__":
    main()
