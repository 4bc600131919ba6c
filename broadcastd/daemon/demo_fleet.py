"""`broadcastd run --simulate`: a simulated fleet of every cluster, inside the daemon.

For the demo only: a newcomer sees plays go out and acks come back without owning a
loudspeaker. The fleet talks to the daemon over the real broker, like real clusters.
It is attached before the scheduler opens the first broadcast, and the daemon waits
(a few seconds at most) until it has heard every cluster come online: a simulated
cluster has a clean session, so a play sent before it subscribed would be lost and
need a resend, which is not what a healthy fleet looks like.
"""

from __future__ import annotations

import time

import structlog

from broadcastd.daemon.runtime import Daemon
from broadcastd.simulate.fleet import ClusterId, Fleet, FleetConfig

log = structlog.get_logger(__name__)

READY_TIMEOUT_S = 15.0


def attach_fleet(daemon: Daemon, speed: float, timeout_s: float = READY_TIMEOUT_S) -> Fleet:
    settings = daemon.settings
    address = settings.broker.address
    clusters = tuple(
        ClusterId(timetable.commune.id, cluster)
        for timetable in daemon.state.timetables
        for cluster in timetable.clusters
    )
    fleet = Fleet(
        FleetConfig(
            clusters=clusters,
            host=address.host,
            port=address.port,
            prefix=settings.broker.topic_prefix,
            speed=speed,
            fetch=True,
            log_traffic=True,
        )
    )
    fleet.start()
    deadline = time.monotonic() + timeout_s
    online = fleet.wait_online(len(clusters), timeout_s) and _daemon_sees(
        daemon, len(clusters), deadline
    )
    if online:
        log.info("simulated fleet online", clusters=len(clusters))
    else:
        log.warning("simulated fleet not all online; starting anyway", clusters=len(clusters))
    return fleet


def _daemon_sees(daemon: Daemon, count: int, deadline: float) -> bool:
    """The daemon's dispatcher has heard `count` clusters say they are online."""
    dispatcher = daemon.dispatcher
    while dispatcher is not None and time.monotonic() < deadline:
        if sum(dispatcher.online_counts().values()) >= count:
            return True
        time.sleep(0.05)
    return False
