"""Delivery and inbound events, counted in the Prometheus metrics."""

from __future__ import annotations

from collections.abc import Callable

from broadcastd.service.metrics import Metrics


class MetricsObserver:
    """Implements the dispatcher's and the inbound handler's observer protocols.

    The dispatcher says `queued` for every command paho took; the metric tells apart
    those handed over while the broker was connected (`published`) from those paho
    holds until it reconnects (`queued`), which is what an operator watches for.
    """

    def __init__(self, metrics: Metrics, connected: Callable[[], bool] = lambda: True) -> None:
        self._metrics = metrics
        self._connected = connected

    def broadcast_opened(self, commune: str) -> None:
        self._metrics.broadcast_planned(commune)

    def command_sent(self, commune: str, command: str, outcome: str, reason: str) -> None:
        if outcome == "queued" and self._connected():
            outcome = "published"
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
