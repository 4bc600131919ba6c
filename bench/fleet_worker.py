"""A simulated fleet in its own process (`python -m bench.fleet_worker SPEC.json`).

Reports, per broadcast, when its first and last `play` reached a cluster (wall clock,
epoch seconds), read from the fleet's own record after the fact.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from bench.proc import serve
from bench.site import broker_port
from broadcastd.contract import PlayCommand
from broadcastd.simulate.fleet import ClusterId, Fleet, FleetConfig
from broadcastd.simulate.record import FleetView


def main() -> None:
    spec = json.loads(Path(sys.argv[1]).read_text())
    clusters = tuple(ClusterId(commune, cluster) for commune, cluster in spec["clusters"])
    config = FleetConfig(
        clusters=clusters,
        prefix=spec["prefix"],
        port=broker_port(),
        speed=float(spec.get("speed", 1.0)),
        fetch=False,
        connect_batch=200,
    )
    fleet = Fleet(config)
    fleet.start()

    def wait_online(command: dict[str, Any]) -> dict[str, Any]:
        began = time.monotonic()
        ok = fleet.wait_online(timeout=float(command.get("timeout_s", 120)))
        online = fleet.record.read(lambda view: view.totals["online"])
        return {"ok": ok, "online": online, "seconds": time.monotonic() - began}

    def plays(command: dict[str, Any]) -> dict[str, Any]:
        return {"plays": fleet.record.read(_plays)}

    def totals(command: dict[str, Any]) -> dict[str, Any]:
        return {"totals": fleet.record.read(lambda view: dict(view.totals))}

    def acks(command: dict[str, Any]) -> dict[str, Any]:
        bid, state = str(command["broadcast_id"]), str(command["state"])
        return {"acks": fleet.record.read(lambda view: _acks(view, bid, state))}

    def stop(command: dict[str, Any]) -> dict[str, Any]:
        fleet.stop(timeout=10.0)
        return {"ok": True}

    serve({"wait_online": wait_online, "plays": plays, "totals": totals, "acks": acks,
           "stop": stop})


def _plays(view: FleetView) -> dict[str, list[float]]:
    """broadcast id -> [first receipt, last cluster's first receipt, clusters reached]."""
    found: dict[str, list[float]] = {}
    for key in view:
        firsts: dict[str, float] = {}
        for received in view[key].commands:
            command = received.command
            if isinstance(command, PlayCommand) and command.broadcast_id not in firsts:
                firsts[command.broadcast_id] = received.received_at.timestamp()
        for bid, at in firsts.items():
            entry = found.get(bid)
            if entry is None:
                found[bid] = [at, at, 1.0]
            else:
                entry[0] = min(entry[0], at)
                entry[1] = max(entry[1], at)
                entry[2] += 1
    return found


def _acks(view: FleetView, broadcast_id: str, state: str) -> list[float]:
    """[first, last, clusters] of each cluster's first `state` ack of one broadcast
    (when the fleet published it), or [] when none has."""
    firsts = [
        next(
            (s.sent_at.timestamp() for s in view[key].acks
             if s.ack.broadcast_id == broadcast_id and s.ack.state == state),
            None,
        )
        for key in view
    ]
    found = [at for at in firsts if at is not None]
    return [min(found), max(found), float(len(found))] if found else []


if __name__ == "__main__":
    main()
