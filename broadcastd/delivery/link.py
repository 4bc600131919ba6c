"""The MQTT link: one paho client, a persistent session, QoS 1, manual acknowledgement.

Callbacks run on paho's network thread, where an exception kills the loop without a
word; so each one is guarded, does nothing slow, and hands work on. The broker's
PUBACK for an incoming ack is sent only when the daemon says so (`ack()`), after the
ack is committed, so a crash loses nothing: the broker redelivers it.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import paho.mqtt.client as mqtt
import structlog
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

from broadcastd import __version__
from broadcastd.contract.messages import ServerPresence
from broadcastd.contract.topics import server_state_topic, subscriptions
from broadcastd.settings import BrokerSettings

log = structlog.get_logger(__name__)

OFFLINE_PUBLISH_WAIT_S = 2.0
"""How long a clean stop waits for the broker to take the retained `online: false`."""

# Never subscribed to (a `$` root is the broker's own): unsubscribing it changes nothing.
_PROBE_FILTER = "$broadcastd/watchdog-probe"
# Topic filters per SUBSCRIBE when each cluster's state topic is named (watch_states).
_NAMED_PER_PACKET = 500


class SendOutcome(StrEnum):
    """What became of a publish at the moment it was handed to the client."""

    QUEUED = "queued"  # handed to the client; the broker's PUBACK will confirm it
    FAILED = "failed"  # refused by the client (queue full, bad topic)


@dataclass(frozen=True, slots=True)
class InboundMessage:
    topic: str
    payload: bytes
    qos: int
    retain: bool
    mid: int
    session: int  # which connection delivered it: a mid is only meaningful on that one


@dataclass(frozen=True, slots=True)
class PublishReceipt:
    outcome: SendOutcome
    mid: int
    connected: bool


class MqttLink:
    def __init__(
        self,
        settings: BrokerSettings,
        on_message: Callable[[InboundMessage], None],
        on_published: Callable[[int], None] = lambda mid: None,
        on_connection: Callable[[bool], None] = lambda up: None,
        client_id: str | None = None,
        *,
        announce_presence: bool = True,
        filters: Sequence[str] | None = None,
    ) -> None:
        """`announce_presence`: publish the server's presence (contract 1.1, server rule
        5) with its Last Will; off only for tools that borrow the link. `filters`: what
        to subscribe to on every connect (default: the contract's acks and presence)."""
        self._settings = settings
        self._filters = (
            list(filters) if filters is not None else subscriptions(settings.topic_prefix)
        )
        self._on_message = on_message
        self._on_published = on_published
        self._on_connection = on_connection
        self._session = 0
        self._named_states: list[str] = []
        self._connected = threading.Event()
        self._loop_beat = time.monotonic()
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id or settings.client_id,
            clean_session=False,
            manual_ack=True,
        )
        self._client.enable_logger()
        # paho logs every packet it handles (PINGRESP included, once per keepalive):
        # the watchdog's sign that the network loop is turning.
        self._client.on_log = self._note_activity
        # Retry every few seconds at most: a broker back from an outage (a restart, an
        # upgrade) must see the daemon within seconds, not after a back-off of 30 s.
        # A few connection attempts a second to a local broker cost nothing.
        self._client.reconnect_delay_set(min_delay=1, max_delay=5)
        # A whole morning's fan-out leaves at once; paho's default window of 20 in-flight
        # QoS 1 messages would serialise it on round trips to the broker.
        self._client.max_inflight_messages_set(1000)
        self._client.max_queued_messages_set(0)
        self._presence_topic = (
            server_state_topic(settings.topic_prefix) if announce_presence else None
        )
        if self._presence_topic is not None:
            # Retained, so a cluster (or a person with mosquitto_sub) connecting later
            # still sees whether the server is there; the broker publishes the Will when
            # the daemon vanishes without a DISCONNECT (kill -9, power, network).
            self._client.will_set(
                self._presence_topic, ServerPresence(online=False).to_payload(), 1, True
            )
        password = settings.resolved_password()
        if settings.username:
            self._client.username_pw_set(settings.username, password)
        if settings.address.tls:
            self._set_tls(settings)
        self._client.on_connect = self._guard(self._handle_connect)
        self._client.on_disconnect = self._guard(self._handle_disconnect)
        self._client.on_message = self._guard(self._handle_message)
        self._client.on_publish = self._guard(self._handle_publish)

    def _set_tls(self, settings: BrokerSettings) -> None:
        """Verify the broker against the configured CA (else the system's) and, when
        given, present a client certificate. Host names are checked."""
        tls = settings.tls
        if tls is None:
            self._client.tls_set()
            return
        self._client.tls_set(
            ca_certs=str(tls.ca_file) if tls.ca_file else None,
            certfile=str(tls.cert_file) if tls.cert_file else None,
            keyfile=str(tls.key_file) if tls.key_file else None,
        )

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> None:
        """Connect in the background: the daemon runs (and schedules) without a broker."""
        address = self._settings.address
        self._client.connect_async(address.host, address.port, self._settings.keepalive_s)
        self._client.loop_start()

    def stop(self) -> None:
        """A clean DISCONNECT sends no Will, so say `online: false` first (retained)."""
        if self._presence_topic is not None and self.connected:
            info = self._client.publish(
                self._presence_topic, ServerPresence(online=False).to_payload(), 1, True
            )
            try:
                info.wait_for_publish(OFFLINE_PUBLISH_WAIT_S)
            except (RuntimeError, ValueError):
                log.warning("server presence offline not published before disconnect")
        self._client.disconnect()
        self._client.loop_stop()
        self._connected.clear()

    def wait_connected(self, timeout: float) -> bool:
        return self._connected.wait(timeout)

    @property
    def connected(self) -> bool:
        return self._connected.is_set()

    def network_alive(self) -> bool:
        """The paho network thread is running (for the watchdog)."""
        thread = getattr(self._client, "_thread", None)
        return thread is not None and thread.is_alive()

    def _note_activity(self, client: mqtt.Client, userdata: Any, level: int, buf: str) -> None:
        # paho also logs on the caller's thread ("Sending PUBLISH" from the dispatcher):
        # only what the network thread itself logs proves that the loop turns.
        if threading.current_thread() is getattr(self._client, "_thread", None):
            self._loop_beat = time.monotonic()

    def probe(self) -> None:
        """Make the network loop show life on a quiet link: an UNSUBSCRIBE of a filter we
        never subscribe to is harmless, and the broker's UNSUBACK is handled (and logged)
        on the network thread. Called by the watchdog before each check."""
        if self.connected:
            self._client.unsubscribe(_PROBE_FILTER)

    def last_beat(self) -> float:
        """time.monotonic() of the network loop's last sign of life, for the watchdog.

        A dead thread never beats again; while disconnected the loop is busy
        reconnecting, which counts as alive.
        """
        if not self.network_alive():
            return self._loop_beat
        if not self.connected:
            return time.monotonic()
        return self._loop_beat

    def watch_states(self, topics: list[str]) -> None:
        """Also subscribe these cluster `state` topics by name, now and on every connect:
        a broker that keeps retained messages from wildcard subscriptions (RabbitMQ) still
        hands each cluster's retained presence to a filter naming it. Adds to the list."""
        new = sorted(set(topics) - set(self._named_states))
        self._named_states = self._named_states + new
        if new and self.connected:
            self._subscribe_named(self._client, new)

    def _subscribe_named(self, client: mqtt.Client, topics: list[str]) -> None:
        for start in range(0, len(topics), _NAMED_PER_PACKET):
            client.subscribe([(name, 1) for name in topics[start : start + _NAMED_PER_PACKET]])

    # -- traffic -----------------------------------------------------------------------

    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> PublishReceipt:
        """QoS 1 (retained only to clear a retained message). Made while disconnected, it
        waits in the client's queue."""
        info = self._client.publish(topic, payload, qos=1, retain=retain)
        connected = self.connected
        if info.rc in (MQTTErrorCode.MQTT_ERR_SUCCESS, MQTTErrorCode.MQTT_ERR_NO_CONN):
            return PublishReceipt(SendOutcome.QUEUED, info.mid, connected)
        log.error("publish refused", topic=topic, rc=mqtt.error_string(info.rc))
        return PublishReceipt(SendOutcome.FAILED, info.mid, connected)

    def unsubscribe(self, filters: Sequence[str]) -> None:
        """Stop receiving `filters`, now and after reconnects (a shared subscription left
        before a clean stop, so the broker queues no acks for a daemon that is gone)."""
        self._filters = [name for name in self._filters if name not in filters]
        if self.connected and filters:
            self._client.unsubscribe(list(filters))

    def ack(self, message: InboundMessage) -> None:
        """PUBACK an incoming message, once what it carried is committed.

        Only on the connection that delivered it: after a reconnect the broker
        redelivers it anyway, and a stale mid could name another message.
        """
        if message.qos == 0 or message.session != self._session:
            return
        self._client.ack(message.mid, message.qos)

    # -- paho callbacks (network thread) ------------------------------------------------

    def _guard(self, callback: Callable[..., None]) -> Callable[..., None]:
        def guarded(*args: Any) -> None:
            try:
                callback(*args)
            except Exception:
                log.exception("mqtt callback failed", callback=callback.__name__)

        return guarded

    def _handle_connect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        if reason.is_failure:
            log.error("broker refused connection", reason=str(reason))
            return
        self._session += 1
        # Subscribing on every connect brings subscriptions back after a reconnect,
        # whether or not the broker kept the session.
        if self._filters:
            client.subscribe([(name, 1) for name in self._filters])
        self._subscribe_named(client, self._named_states)
        if self._presence_topic is not None:
            client.publish(
                self._presence_topic,
                ServerPresence(online=True, version=__version__).to_payload(),
                1,
                True,
            )
        self._connected.set()
        log.info(
            "broker connected",
            host=self._settings.address.host,
            port=self._settings.address.port,
            session_present=bool(getattr(flags, "session_present", False)),
        )
        self._on_connection(True)

    def _handle_disconnect(
        self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        was_connected = self._connected.is_set()
        self._connected.clear()
        if was_connected:
            log.warning("broker disconnected", reason=str(reason))
            self._on_connection(False)

    def _handle_message(self, client: mqtt.Client, userdata: Any, msg: mqtt.MQTTMessage) -> None:
        self._on_message(
            InboundMessage(
                topic=msg.topic,
                payload=bytes(msg.payload),
                qos=msg.qos,
                retain=bool(msg.retain),
                mid=msg.mid,
                session=self._session,
            )
        )

    def _handle_publish(
        self, client: mqtt.Client, userdata: Any, mid: int, reason: Any, props: Any
    ) -> None:
        self._on_published(mid)
