"""What the clusters send: acks and presence, checked, recorded, then acknowledged.

Runs on paho's network thread, so it only parses (microseconds) and queues work for
the database writer. The broker gets its PUBACK from the writer's commit callback:
a message is acknowledged only once what it carried (or the fact that it was
refused) is durable. Nothing a cluster sends can stop the daemon: every message ends
stored, or refused and counted by reason, and is acknowledged either way, whatever
happens on the way (an exception anywhere is refused as `internal`). A message left
unacknowledged would hold one of the broker's few in-flight slots for the daemon for
ever, and the broker redelivers it first after every restart.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Protocol

import structlog

from broadcastd.contract.messages import Ack, ContractError, parse_ack, parse_presence
from broadcastd.contract.topics import Topic, TopicKind, parse_topic
from broadcastd.delivery.dispatcher import Dispatcher
from broadcastd.delivery.link import InboundMessage
from broadcastd.store import AckOutcome, Store, WriterClosed

log = structlog.get_logger(__name__)

_LOGGED_PAYLOAD = 200  # bytes of a refused payload worth showing in a log line
_REMEMBERED_RETAINED = 10_000  # retained refusals remembered, so a reconnect does not recount


class InboundObserver(Protocol):
    def ack_stored(self, state: str, seconds_to_commit: float) -> None: ...

    def rejected(self, reason: str) -> None: ...


class Inbound:
    def __init__(
        self,
        store: Store,
        dispatcher: Dispatcher,
        acknowledge: Callable[[InboundMessage], None],
        *,
        prefix: str,
        clock: Callable[[], datetime],
        observer: InboundObserver | None = None,
    ) -> None:
        self._store = store
        self._dispatcher = dispatcher
        self._acknowledge = acknowledge
        self._prefix = prefix
        self._clock = clock
        self._observer = observer
        self._lock = threading.Lock()
        self._known: Mapping[str, frozenset[str]] = {}
        self._retained_refused: set[str] = set()

    def set_topology(self, clusters_by_commune: Mapping[str, frozenset[str]]) -> None:
        """The clusters the timetables declare; messages from any other are refused."""
        with self._lock:
            self._known = dict(clusters_by_commune)

    def _is_known(self, commune: str, cluster: str) -> bool:
        with self._lock:
            return cluster in self._known.get(commune, frozenset())

    def handle(self, message: InboundMessage) -> None:
        """Route one message to its end; never raises (paho's thread must go on)."""
        received_at = self._clock()
        try:
            self._route(message, received_at)
        except WriterClosed:
            # Stopping: left unacknowledged, the broker redelivers it to the next run.
            log.warning("message left to the broker: the store is closing", topic=message.topic)
        except Exception as exc:
            # Each path hands the message to the store as its last step, so reaching
            # here means nothing was queued for it yet.
            log.exception("message handling failed", topic=message.topic)
            try:
                self._reject(message, "internal", received_at, f"{type(exc).__name__}: {exc}")
            except Exception:
                log.exception("message could not even be refused", topic=message.topic)

    def _route(self, message: InboundMessage, received_at: datetime) -> None:
        where = parse_topic(self._prefix, message.topic)
        if where is None or where.kind is TopicKind.CMD:
            self._reject(message, "bad_topic", received_at, "not an ack or state topic")
            return
        if where.kind is TopicKind.STATE and not message.payload:
            # An empty retained message is how MQTT deletes one (ours, for a removed
            # cluster, or a technician's): no presence to store, nothing refused.
            self._acknowledge(message)
            return
        if not self._is_known(where.commune, where.cluster):
            if message.retain and where.kind is TopicKind.STATE:
                self._refuse_retained_state(message, where, received_at)
            else:
                self._reject(message, "unknown_cluster", received_at, "cluster not in timetables")
            return
        try:
            if where.kind is TopicKind.ACK:
                ack = parse_ack(message.payload, received_at)
                self._handle_ack(message, where, ack, received_at)
            else:
                self._handle_state(message, where, received_at)
        except ContractError as exc:
            self._reject(message, exc.reason, received_at, str(exc))

    def _refuse_retained_state(
        self, message: InboundMessage, where: Topic, received_at: datetime
    ) -> None:
        """The retained `state` of a cluster the timetables do not have: counted once.

        The broker sends it again at every reconnect. Of a commune the daemon runs (a
        cluster removed from its timetable) it is cleared, so it never comes back. Of a
        commune the daemon does not run it is left alone (it may be one whose timetable
        failed to load, whose clusters' presence must survive) and not counted again
        this run.
        """
        with self._lock:
            commune_known = where.commune in self._known
            seen = message.topic in self._retained_refused
            remember = len(self._retained_refused) < _REMEMBERED_RETAINED
            if not commune_known and not seen and remember:
                self._retained_refused.add(message.topic)
        if seen and not commune_known:
            self._acknowledge(message)
            return

        def clear() -> None:
            self._dispatcher.clear_retained(message.topic)

        self._reject(
            message,
            "unknown_cluster",
            received_at,
            "cluster not in timetables (retained state)",
            then=clear if commune_known else None,
        )

    def _handle_ack(
        self, message: InboundMessage, where: Topic, ack: Ack, received_at: datetime
    ) -> None:
        def committed(outcome: AckOutcome) -> None:
            self._acknowledge(message)
            if outcome is AckOutcome.UNKNOWN_BROADCAST:
                self._rejected_after_commit(message, where, ack)
                return
            self._dispatcher.note_ack(where.commune, where.cluster, ack.broadcast_id, ack.state)
            if outcome is AckOutcome.STORED and self._observer is not None:
                latency = (self._clock() - received_at).total_seconds()
                self._observer.ack_stored(ack.state, latency)
            log.debug(
                "ack stored" if outcome is AckOutcome.STORED else "ack duplicate",
                commune=where.commune,
                cluster=where.cluster,
                broadcast_id=ack.broadcast_id,
                state=ack.state,
                item=ack.item,
                detail=ack.detail or None,
            )

        self._store.record_ack(
            where.commune,
            where.cluster,
            ack,
            received_at,
            committed,
            topic=message.topic,
            on_failed=lambda: self._reject(message, "store_error", received_at, "store failed"),
        )

    def _rejected_after_commit(self, message: InboundMessage, where: Topic, ack: Ack) -> None:
        if self._observer is not None:
            self._observer.rejected("unknown_broadcast")
        log.warning(
            "ack refused",
            reason="unknown_broadcast",
            commune=where.commune,
            cluster=where.cluster,
            broadcast_id=ack.broadcast_id,
            topic=message.topic,
        )

    def _handle_state(self, message: InboundMessage, where: Topic, received_at: datetime) -> None:
        presence = parse_presence(message.payload)

        def committed() -> None:
            self._acknowledge(message)
            self._dispatcher.note_presence(
                where.commune, where.cluster, presence.online, retained=message.retain
            )

        # Coming online is routine (10,000 at a start); going offline is worth a line.
        (log.info if not presence.online else log.debug)(
            "cluster online" if presence.online else "cluster offline",
            commune=where.commune,
            cluster=where.cluster,
            firmware=presence.firmware,
            retained=message.retain,
        )
        self._store.record_presence(
            where.commune,
            where.cluster,
            presence.online,
            presence.firmware,
            presence.volume,
            received_at,
            committed,
            on_failed=lambda: self._reject(message, "store_error", received_at, "store failed"),
        )

    def _reject(
        self,
        message: InboundMessage,
        reason: str,
        received_at: datetime,
        why: str,
        then: Callable[[], None] | None = None,
    ) -> None:
        """Count the refusal, then acknowledge the message (and run `then`).

        Acknowledged even when the count itself cannot be stored: it is already in the
        metrics and the log, and a message never acknowledged jams the broker's queue.
        """
        try:
            if self._observer is not None:
                self._observer.rejected(reason)
            log.warning(
                "message refused",
                reason=reason,
                why=why,
                topic=message.topic,
                payload=message.payload[:_LOGGED_PAYLOAD].decode("utf-8", errors="replace"),
            )
        except Exception:
            log.exception("refusal not reported", reason=reason, topic=message.topic)

        def counted() -> None:
            self._acknowledge(message)
            if then is not None:
                then()

        self._store.count_rejected(
            reason,
            message.topic,
            message.payload,
            received_at,
            on_commit=counted,
            on_failed=counted,
        )
