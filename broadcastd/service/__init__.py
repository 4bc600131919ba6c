"""Running as a service: systemd notification and watchdog, metrics, broker access rules.

The daemon's wiring creates these and passes them the callables they read; nothing
here starts on import.
"""

from broadcastd.service.metrics import Metrics, metrics_router
from broadcastd.service.notify import Notifier
from broadcastd.service.watchdog import Heartbeats, WatchdogPinger

__all__ = ["Heartbeats", "Metrics", "Notifier", "WatchdogPinger", "metrics_router"]
