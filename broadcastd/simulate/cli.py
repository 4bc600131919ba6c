"""`broadcastd simulate`: a fleet of simulated clusters on a broker, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import structlog

from broadcastd.simulate.fleet import ClusterId, Fleet, FleetConfig, cluster_ids

log = structlog.get_logger(__name__)


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add the `simulate` subcommand to the `broadcastd` parser's subparsers."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "simulate", help="run simulated loudspeaker clusters against a broker",
        description="Simulated clusters following the speaker contract's cluster side.")
    add_arguments(parser)
    parser.set_defaults(handler=run)
    return parser


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--broker", default="mqtt://127.0.0.1:1883",
                        help="broker URL, mqtt://host:port (default %(default)s)")
    parser.add_argument("--prefix", default="broadcast", help="topic root (default %(default)s)")
    parser.add_argument("--commune", default="man-lan",
                        help="commune id for --clusters/--count (default %(default)s)")
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument("--clusters", type=_names, help="cluster ids, comma separated")
    who.add_argument("--count", type=int, help="this many clusters, kl-01, kl-02, ...")
    who.add_argument("--schedules", type=Path,
                     help="timetable file or folder: every cluster of every commune in it")
    parser.add_argument("--silent", type=_names, action="extend", default=[],
                        help="clusters that receive but never ack (comma separated)")
    parser.add_argument("--ack-delay", type=float, default=0.0,
                        help="seconds between an event and its ack")
    parser.add_argument("--speed", type=float, default=1.0,
                        help="playback speed-up: 60 plays a minute of audio in a second")
    parser.add_argument("--late", type=_late, action="extend", default=[],
                        help="CLUSTER:SECONDS, connect that many seconds late (repeatable)")
    parser.add_argument("--no-fetch", dest="fetch", action="store_false",
                        help="do not download and verify file items nor try stream URLs")
    parser.add_argument("--crash-on-exit", action="store_true",
                        help="on exit drop the connections so the broker publishes the Wills")
    parser.add_argument("--log-level", default="info")


def run(args: argparse.Namespace) -> int:
    """The subcommand's handler: build the fleet, run it until a signal, stop it."""
    from broadcastd import logs

    logs.configure(args.log_level)
    try:
        config = config_from_args(args)
    except (ValueError, OSError) as exc:
        print(f"simulate: {exc}", file=sys.stderr)
        return 2
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    fleet = Fleet(config)
    fleet.start()
    log.info("simulated fleet started", clusters=len(config.clusters), broker=args.broker,
             prefix=config.prefix, speed=config.speed, silent=sorted(config.silent))
    stop.wait()
    log.info("simulated fleet stopping", crash=args.crash_on_exit)
    fleet.stop(crash=args.crash_on_exit)
    return 0


def config_from_args(args: argparse.Namespace) -> FleetConfig:
    host, port = parse_broker(args.broker)
    if args.schedules is not None:
        clusters = clusters_from_schedules(args.schedules)
    elif args.count is not None:
        if not 1 <= args.count <= 100_000:
            raise ValueError("--count must be between 1 and 100000")
        width = max(2, len(str(args.count)))
        clusters = cluster_ids(args.commune, (f"kl-{i:0{width}d}" for i in range(1, args.count + 1)))
    else:
        clusters = cluster_ids(args.commune, args.clusters)
    return FleetConfig(
        clusters=clusters, host=host, port=port, prefix=args.prefix,
        silent=frozenset(args.silent), late=dict(args.late), ack_delay_s=args.ack_delay,
        speed=args.speed, fetch=args.fetch, log_traffic=True,
    )


def clusters_from_schedules(path: Path) -> tuple[ClusterId, ...]:
    """Hook onto the timetables: every (commune, cluster) of every timetable under `path`."""
    from broadcastd.timetable import load_timetables

    loaded = load_timetables([path], None)
    if loaded.errors:
        raise ValueError(f"{path}: timetables have errors; run `broadcastd validate {path}`")
    found = tuple(ClusterId(item.timetable.commune.id, cluster)
                  for item in loaded.timetables for cluster in item.timetable.clusters)
    if not found:
        raise ValueError(f"{path}: no timetable with clusters found")
    return found


def parse_broker(url: str) -> tuple[str, int]:
    parts = urlsplit(url if "://" in url else f"mqtt://{url}")
    if parts.scheme not in ("mqtt", "tcp") or not parts.hostname:
        raise ValueError(f"broker must look like mqtt://host:port, got {url!r}")
    return parts.hostname, parts.port or 1883


def _names(value: str) -> list[str]:
    return [name.strip() for name in value.split(",") if name.strip()]


def _late(value: str) -> list[tuple[str, float]]:
    pairs = []
    for entry in _names(value):
        name, sep, seconds = entry.rpartition(":")
        try:
            pairs.append((name, float(seconds)))
        except ValueError:
            sep = ""
        if not sep or not name:
            raise argparse.ArgumentTypeError(f"--late wants CLUSTER:SECONDS, got {entry!r}")
    return pairs


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m broadcastd.simulate ...`: the same options as `broadcastd simulate`."""
    parser = argparse.ArgumentParser(prog="python -m broadcastd.simulate")
    add_arguments(parser)
    return run(parser.parse_args(argv))
