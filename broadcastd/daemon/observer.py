"""Delivery and inbound events, counted in the Prometheus metrics."""

from __future__ import annotations

from broadcastd.service.metrics import Metrics


class MetricsObserver:
    """Implements the dispatcher's and the inbound handler's observer protocols."""

    def __init__(self, metrics: Metrics) -> None:
        self._metrics = metrics

    def broadcast_opened(self, commune: str) -> None:
        self._metrics.broadcast_planned(commune)

    def command_sent(self, commune: str, command: str, outcome: str, reason: str) -> None:
        self._metrics.command_sent(commune, command, outcome)  # type: ignore[arg-type]
        if reason == "resend":
            self._metrics.resent(commune)

    def dispatch_lag(self, seconds: float) -> None:
        self._metrics.observe_dispatch_lag(seconds)

    def ack_stored(self, state: str, seconds_to_commit: float) -> None:
        self._metrics.ack_stored(state)
        self._metrics.observe_ack_commit(seconds_to_commit)

    def rejected(self, reason: str) -> None:
        self._metrics.message_rejected(reason)
