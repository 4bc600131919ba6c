"""SIGTERM in the middle of a stream of acks loses none of them.

The daemon commits an ack before it PUBACKs it, on a persistent session: what it had
received is flushed on the way out, what it had not is kept by the broker and
delivered after the restart. So every ack a cluster published ends up in the database.
"""

from __future__ import annotations

import signal
import threading
import time

import httpx
import paho.mqtt.client as mqtt
import pytest

from broadcastd.contract import TopicKind
from tests.integration.site import Site

from .harness import Commune, Publisher, ack_rows, acks, eventually, unit_stop_timeout_s

pytestmark = pytest.mark.integration

ACKS = 2000
# Paced like a busy morning (250 acks/s), so the broker's queue for the daemon while it
# restarts stays inside Mosquitto's default max_queued_messages (1000) even when a
# loaded machine takes a few seconds to start the daemon again; past that limit the
# broker itself drops messages (deploy/ raises it for production).
BURST, PAUSE_S = 50, 0.2


def test_sigterm_during_a_stream_of_acks_loses_none(daemon_site: Site, commune: Commune) -> None:
    window = commune.window(1, 120)
    bid = commune.broadcast_id("morning", window)
    daemon_site.write(commune.timetable({"morning": window}))
    daemon_site.start()
    assert eventually(lambda: _exists(daemon_site, bid))  # the play went out: acks are known

    publisher = Publisher()
    sent: list[mqtt.MQTTMessageInfo] = []

    def stream() -> None:
        for n, (cluster, ack) in enumerate(acks(commune, bid, ACKS), start=1):
            topic = commune.topic(daemon_site.prefix, cluster, TopicKind.ACK)
            sent.append(publisher.publish(topic, ack.to_payload()))
            if n % BURST == 0:
                time.sleep(PAUSE_S)

    streaming = threading.Thread(target=stream)
    streaming.start()
    try:
        assert eventually(lambda: ack_rows(daemon_site.database) >= 300)
        assert daemon_site.process is not None
        began = time.monotonic()
        daemon_site.process.send_signal(signal.SIGTERM)
        assert daemon_site.process.wait(unit_stop_timeout_s()) == 0
        took = time.monotonic() - began
        daemon_site.process = None
        at_stop = ack_rows(daemon_site.database)
        daemon_site.start()  # as systemd's Restart= would, while the stream goes on
        streaming.join(30)
        for info in sent:
            info.wait_for_publish(10)
    finally:
        streaming.join(30)
        publisher.close()
    assert len(sent) == ACKS
    assert 300 <= at_stop < ACKS, "SIGTERM landed mid-stream"

    assert eventually(lambda: ack_rows(daemon_site.database) >= ACKS, timeout_s=20), (
        ack_rows(daemon_site.database),
        daemon_site.log(),
    )
    time.sleep(0.5)  # a redelivered duplicate would show now
    assert ack_rows(daemon_site.database) == ACKS
    print(f"\n{at_stop} acks stored before SIGTERM; exit took {took:.2f} s; all {ACKS} after")


def _exists(site: Site, bid: str) -> bool:
    return httpx.get(f"{site.base_url}/broadcasts/{bid}", timeout=5).status_code == 200
