"""Simulated loudspeaker clusters: the cluster side of the speaker contract, for demos,
integration tests and benchmarks. `Cluster` is the pure behaviour; `Fleet` puts many of
them on a real MQTT broker."""

from broadcastd.simulate.cluster import Cluster, Phase
from broadcastd.simulate.fleet import ClusterId, Fleet, FleetConfig, cluster_ids, local_now
from broadcastd.simulate.record import ClusterRecord, FleetView, ReceivedCommand, SentAck

__all__ = [
    "Cluster",
    "ClusterId",
    "ClusterRecord",
    "Fleet",
    "FleetConfig",
    "FleetView",
    "Phase",
    "ReceivedCommand",
    "SentAck",
    "cluster_ids",
    "local_now",
]
