"""`broadcastd run --simulate`: a simulated fleet of every cluster, inside the daemon.

For the demo only: a newcomer sees plays go out and acks come back without owning a
loudspeaker. The fleet talks to the daemon over the real broker, like real clusters.
"""

from __future__ import annotations

from collections.abc import Sequence

from broadcastd.settings import Settings
from broadcastd.simulate.fleet import ClusterId, Fleet, FleetConfig
from broadcastd.timetable.model import Timetable


def attach_fleet(settings: Settings, timetables: Sequence[Timetable], speed: float) -> Fleet:
    address = settings.broker.address
    clusters = tuple(
        ClusterId(timetable.commune.id, cluster)
        for timetable in timetables
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
    return fleet
