"""Prometheus metrics: what a district's monitoring scrapes from `GET /metrics`.

One `CollectorRegistry` per `Metrics` (never the library's global one), so tests and
a daemon restarted in-process start from zero. The rest of the daemon calls small
named methods here and never touches prometheus_client itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from typing import Literal

from fastapi import APIRouter, Request, Response
from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    PlatformCollector,
    ProcessCollector,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.metrics_core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from broadcastd.contract import ACK_STATES

CommandKind = Literal["play", "stop"]
Outcome = Literal["published", "queued", "failed"]
OUTCOMES: tuple[Outcome, ...] = ("published", "queued", "failed")

# Planned send instant -> publish call: milliseconds normally, seconds when the box lags.
DISPATCH_LAG_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
# Ack arrival -> committed: bounded by the writer's batch interval.
COMMIT_LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class _OnlineClusters(Collector):
    """`clusters_online{commune=...}`, read from the daemon's presence table at scrape time."""

    def __init__(self, name: str, read: Callable[[], Mapping[str, int]]) -> None:
        self._name = name
        self._read = read

    def collect(self) -> Iterator[Metric]:
        family = GaugeMetricFamily(
            self._name, "Clusters whose last presence says online.", labels=["commune"]
        )
        for commune, count in sorted(self._read().items()):
            family.add_metric([commune], count)
        yield family


class Metrics:
    """The daemon's metrics, each behind a method named for the event it counts."""

    def __init__(self, namespace: str = "broadcastd", *, process: bool = True) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self._namespace = namespace
        reg = self.registry
        if process:  # memory, CPU, open files: what an operator checks first on a sick box
            ProcessCollector(registry=reg)
            PlatformCollector(registry=reg)
        self._planned = Counter(
            "broadcasts_planned", "Broadcast occurrences planned.", ["commune"],
            namespace=namespace, registry=reg,
        )
        self._sent = Counter(
            "commands_sent", "Commands handed to MQTT, by outcome: published (broker "
            "connected), queued (disconnected, paho holds it), failed.",
            ["commune", "kind", "outcome"], namespace=namespace, registry=reg,
        )
        self._acks = Counter(
            "acks_stored", "Speaker acknowledgements committed to the database.", ["state"],
            namespace=namespace, registry=reg,
        )
        for state in ACK_STATES:
            self._acks.labels(state)
        self._resends = Counter(
            "resends", "Plays sent again to clusters that had not acked received.",
            ["commune"], namespace=namespace, registry=reg,
        )
        self._rejected = Counter(
            "messages_rejected", "Incoming MQTT messages refused, by reason.", ["reason"],
            namespace=namespace, registry=reg,
        )
        self._dispatch_lag = Histogram(
            "dispatch_lag_seconds", "Planned send instant to the publish call.",
            namespace=namespace, registry=reg, buckets=DISPATCH_LAG_BUCKETS,
        )
        self._commit_latency = Histogram(
            "ack_commit_latency_seconds", "Ack arrival to its database commit.",
            namespace=namespace, registry=reg, buckets=COMMIT_LATENCY_BUCKETS,
        )
        self._last_reload = Gauge(
            "last_reload_success_timestamp_seconds",
            "Unix time the timetables were last loaded without error.",
            namespace=namespace, registry=reg,
        )
        self._reload_failures = Counter(
            "reload_failures", "Timetable reloads rejected (the old timetable stayed).",
            namespace=namespace, registry=reg,
        )
        self._writer_queue = Gauge(
            "db_writer_queue_length", "Records waiting for the database writer.",
            namespace=namespace, registry=reg,
        )

    def broadcast_planned(self, commune: str, count: int = 1) -> None:
        self._planned.labels(commune).inc(count)

    def command_sent(self, commune: str, kind: CommandKind, outcome: Outcome) -> None:
        if outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {OUTCOMES}, not {outcome!r}")
        self._sent.labels(commune, kind, outcome).inc()

    def ack_stored(self, state: str, count: int = 1) -> None:
        self._acks.labels(state).inc(count)

    def resent(self, commune: str) -> None:
        self._resends.labels(commune).inc()

    def message_rejected(self, reason: str) -> None:
        """`reason` is a `ContractError.reason` or a short code such as `unknown_cluster`."""
        self._rejected.labels(reason).inc()

    def observe_dispatch_lag(self, seconds: float) -> None:
        self._dispatch_lag.observe(max(seconds, 0.0))

    def observe_ack_commit(self, seconds: float) -> None:
        self._commit_latency.observe(max(seconds, 0.0))

    def reload_succeeded(self, at: float | None = None) -> None:
        self._last_reload.set(time.time() if at is None else at)

    def reload_failed(self) -> None:
        self._reload_failures.inc()

    def track_clusters_online(self, read: Callable[[], Mapping[str, int]]) -> None:
        """Register the callable giving {commune: clusters online}; called at each scrape."""
        self.registry.register(_OnlineClusters(f"{self._namespace}_clusters_online", read))

    def track_writer_queue(self, read: Callable[[], int]) -> None:
        """Register the callable giving the writer's queue length; called at each scrape."""
        self._writer_queue.set_function(lambda: float(read()))

    def render(self, accept: str | None = None) -> tuple[bytes, str]:
        """Body and content type for a scrape; OpenMetrics when the scraper asks for it."""
        encode, content_type = choose_encoder(accept or "")
        return encode(self.registry), content_type


def metrics_router(metrics: Metrics) -> APIRouter:
    """`GET /metrics` for the daemon's FastAPI app."""
    router = APIRouter(tags=["operations"])

    @router.get("/metrics", summary="Prometheus metrics", response_class=Response)
    def scrape(request: Request) -> Response:
        body, content_type = metrics.render(request.headers.get("accept"))
        return Response(content=body, media_type=content_type)

    return router
