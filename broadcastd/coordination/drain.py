"""Taking over a dead daemon's MQTT session, so that no ack is left in it.

A broker keeps the persistent session of a daemon killed or cut off, subscriptions
included. Mosquitto goes on giving that session its turn of a shared subscription
(round robin, connected or not) and queues the acks for it; without shared
subscriptions it queues a copy of every ack. Those acks would wait for that daemon to
come back under the same name. So the survivor that removed the dead daemon's row
connects under the dead daemon's client id, stores what the broker hands over (through
the same `Inbound` path as its own acks: committed, then PUBACKed), unsubscribes
everything the dead session had, and leaves. Should the dead daemon restart meanwhile,
the broker hands the session to whichever connected last; both store idempotently.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import structlog

from broadcastd.coordination.subscriptions import every_filter
from broadcastd.delivery.link import InboundMessage, MqttLink
from broadcastd.settings import BrokerSettings

log = structlog.get_logger(__name__)

Handler = Callable[[InboundMessage], None]


def drain_session(
    settings: BrokerSettings,
    client_id: str,
    make_handler: Callable[[Callable[[InboundMessage], None]], Handler],
    *,
    quiet_s: float = 1.0,
    timeout_s: float = 30.0,
) -> int:
    """Receive what the broker kept for `client_id` until it is quiet for `quiet_s`, then
    unsubscribe its filters and disconnect. `make_handler(ack)` gives the handler that
    stores a message and calls `ack` once committed. Returns the messages received."""
    seen: list[float] = [0, time.monotonic()]
    lock = threading.Lock()

    def received(message: InboundMessage) -> None:
        with lock:
            seen[0] += 1
            seen[1] = time.monotonic()
        handler(message)

    link = MqttLink(settings, on_message=received, client_id=client_id,
                    announce_presence=False, filters=())
    handler = make_handler(link.ack)
    link.start()
    try:
        if not link.wait_connected(min(timeout_s, 10.0)):
            log.warning("dead daemon's MQTT session not reached", client_id=client_id)
            return 0
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            with lock:
                idle = time.monotonic() - seen[1]
            if idle >= quiet_s:
                break
            time.sleep(min(quiet_s - idle, 0.2) + 0.01)
        link.unsubscribe(every_filter(settings.topic_prefix))
        time.sleep(min(quiet_s, 1.0))  # the PUBACKs of the last commits go out
    finally:
        link.stop()
    log.info("dead daemon's MQTT session drained", client_id=client_id, messages=seen[0])
    return int(seen[0])
