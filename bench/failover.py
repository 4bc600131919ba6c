"""Takeover time with the default lease (not a test: figures for docs/scaling.md).

    PYTHONPATH=. python bench/failover.py                  # 3 runs, lease 15 s
    PYTHONPATH=. python bench/failover.py --runs 1 --lease 3   # a quick look

Each run: three `broadcastd run` processes with `coordination.mode: leases` on a fresh
PostgreSQL schema and the machine's Mosquitto share 30 communes of two simulated
clusters each; once every daemon holds its share, one slot starts in every commune;
when every cluster plays, the owner of the first commune is killed with -9. Measured
from the kill, on the fleet's clock: the first `play` a new owner sent reaching a
cluster of one of its communes (`first`), and the time by which every one of its
communes had one (`last`). Then a survivor is stopped cleanly (SIGTERM) and the same is
measured for its communes.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

if __package__ in (None, ""):  # `python bench/failover.py`: make `broadcastd` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from broadcastd.contract import PlayCommand
from broadcastd.simulate.fleet import Fleet
from broadcastd.store import open_store
from tests.conftest import free_port
from tests.coordination.province import (
    CLUSTERS,
    Communes,
    DaemonProcess,
    Province,
    eventually,
    owners_in_database,
)
from tests.postgres import session_database

PLAYLIST = [{"stream": "http://127.0.0.1:9/relay", "duration_s": 900, "title": "Tiếp sóng"}]


def _resumed(fleet: Fleet, communes: list[str], since: datetime) -> dict[str, datetime]:
    """Each commune's first `play` sent after `since` to reach one of its clusters."""
    found: dict[str, datetime] = {}
    for commune in communes:
        times = [
            cmd.received_at
            for name in CLUSTERS
            for cmd in fleet.snapshot(f"{commune}.{name}").commands
            if isinstance(cmd.command, PlayCommand) and cmd.command.sent_at > since
        ]
        if times:
            found[commune] = min(times)
    return found


def _handover(url: str, fleet: Fleet, leaving: DaemonProcess, *, kill: bool,
              lease_s: float) -> tuple[float, float, int]:
    """Seconds from the kill (or SIGTERM) to the new owner's first play at a cluster of
    one of the communes, and of the last of them; how many communes moved."""
    taken = sorted(c for c, owner in owners_in_database(url).items() if owner == leaving.name)
    at = datetime.now(UTC)
    if kill:
        leaving.kill()
    else:
        leaving.stop()
    eventually(lambda: len(_resumed(fleet, taken, at)) == len(taken), lease_s * 4)
    seconds = sorted((moment - at).total_seconds()
                     for moment in _resumed(fleet, taken, at).values())
    if len(seconds) < len(taken):
        raise SystemExit(f"{len(taken) - len(seconds)} communes not resumed")
    return seconds[0], seconds[-1], len(taken)


def run_once(root: Path, url: str, lease_s: float, prefix: str) -> dict[str, float]:
    communes = Communes.make(30, ahead_s=3600, length_s=900)
    schedules, library = root / "schedules", root / "library"
    library.mkdir(parents=True)
    communes.write(schedules, PLAYLIST)
    province = Province([DaemonProcess(n, root / n, free_port()) for n in ("d1", "d2", "d3")])
    for daemon in province.daemons:
        daemon.write_config(schedules=schedules, library=library, database_url=url,
                            prefix=prefix, lease_s=lease_s)
    fleet = Fleet(communes.fleet_config(prefix, fetch=False))
    try:
        province.start()
        def balanced() -> bool:
            return sorted(Counter(owners_in_database(url).values()).values()) == [10, 10, 10]

        if not eventually(balanced, lease_s * 6):
            raise SystemExit("the daemons did not share the communes:\n" + province.logs())
        fleet.start()
        fleet.wait_online(timeout=30)
        communes.move(ahead_s=4, length_s=900)
        communes.write(schedules, PLAYLIST)
        fleet.wait_for(lambda view: all(
            rec.has_ack(communes.broadcast_id(rec.commune), "playing") for rec in view.values()
        ), timeout=60)
        owner = owners_in_database(url)[communes.ids[0]]
        victim = next(d for d in province.daemons if d.name == owner)
        killed = _handover(url, fleet, victim, kill=True, lease_s=lease_s)
        leaving = next(d for d in province.daemons if d.process is not None)
        stopped = _handover(url, fleet, leaving, kill=False, lease_s=lease_s)
        twice = fleet.record.read(lambda view: sum(
            1 for rec in view.values() for n in rec.starts.values() if n > 1))
        return {"kill_first_s": killed[0], "kill_last_s": killed[1],
                "kill_communes": killed[2], "stop_first_s": stopped[0],
                "stop_last_s": stopped[1], "stop_communes": stopped[2], "played_twice": twice}
    finally:
        fleet.stop()
        province.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lease", type=float, default=15.0)
    args = parser.parse_args()
    results = []
    with session_database() as database:
        for number in range(args.runs):
            with database.schema() as url, tempfile.TemporaryDirectory() as folder:
                open_store(url).engine.dispose()
                result = run_once(Path(folder), url, args.lease, f"bench-fo-{number}")
                results.append(result)
                print(f"run {number + 1}: " + ", ".join(
                    f"{k} {v:.2f}" if isinstance(v, float) else f"{k} {v}"
                    for k, v in result.items()), flush=True)
    for key in ("kill_first_s", "kill_last_s", "stop_first_s", "stop_last_s"):
        values = [r[key] for r in results]
        print(f"{key}: median {statistics.median(values):.2f}, min {min(values):.2f}, "
              f"max {max(values):.2f} (lease {args.lease} s, {len(values)} runs)")


if __name__ == "__main__":
    main()
