"""The delivery policy: which `play` and `stop` goes to which cluster, and when.

A broadcast is *active* from its send time (start minus the lead time) until its end.
While active, every target cluster that has not acknowledged it is sent the `play`
again with growing waits; a cluster that comes online is sent it at once; a cancelled
broadcast gets a `stop`. The dispatcher keeps this in memory and rebuilds it from the
database after a restart, so a cluster that already finished a broadcast is left alone
and one that is mid-way is sent the same `broadcast_id` again (which it ignores).

Called from the scheduler's threads, paho's network thread and the database writer's
thread; one lock guards the state. Nothing here blocks on the network: publishing only
queues a message in the MQTT client.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

import structlog

from broadcastd.contract.messages import TERMINAL_STATES, PlayCommand, PlayItem, StopCommand
from broadcastd.contract.topics import TopicKind, topic
from broadcastd.delivery.link import PublishReceipt
from broadcastd.delivery.policy import ResendPolicy
from broadcastd.planning.occurrences import Occurrence
from broadcastd.store import BroadcastRecord, Store
from broadcastd.store.access import TIMETABLE

log = structlog.get_logger(__name__)

Reason = Literal["scheduled", "join", "resend", "online", "restart"]


class Publisher(Protocol):
    def publish(self, topic: str, payload: bytes, *, retain: bool = False) -> PublishReceipt: ...


class DeliveryObserver(Protocol):
    """What the dispatcher reports, for metrics."""

    def broadcast_opened(self, commune: str) -> None: ...

    def command_sent(self, commune: str, command: str, outcome: str, reason: str) -> None: ...

    def dispatch_lag(self, seconds: float) -> None: ...


@dataclass(slots=True)
class ClusterDelivery:
    cluster: str
    acked: bool = False  # any ack seen: the cluster holds the broadcast
    terminal: bool = False  # finished, stopped or failed: nothing more to send
    sends: int = 0
    last_sent: datetime | None = None
    next_resend: datetime | None = None


@dataclass(slots=True)
class ActiveBroadcast:
    occurrence: Occurrence
    items: tuple[PlayItem, ...]
    deliveries: dict[str, ClusterDelivery] = field(default_factory=dict)
    # The `play` is the same for every cluster sent it at one instant: built once.
    _payload: tuple[datetime, bytes] | None = None

    def play_payload(self, now: datetime) -> bytes:
        if self._payload is None or self._payload[0] != now:
            occurrence = self.occurrence
            command = PlayCommand(
                broadcast_id=occurrence.broadcast_id,
                start=occurrence.start,
                end=occurrence.end,
                priority=occurrence.priority,
                volume=occurrence.volume,
                items=self.items,
                sent_at=now.astimezone(occurrence.start.tzinfo),
            )
            self._payload = (now, command.to_payload())
        return self._payload[1]

    @property
    def broadcast_id(self) -> str:
        return self.occurrence.broadcast_id


class Dispatcher:
    def __init__(
        self,
        publisher: Publisher,
        store: Store,
        resolve_items: Callable[[Occurrence], tuple[PlayItem, ...]],
        *,
        prefix: str,
        lead_time_s: float,
        resend: ResendPolicy,
        clock: Callable[[], datetime],
        observer: DeliveryObserver | None = None,
    ) -> None:
        self._publisher = publisher
        self._store = store
        self._resolve_items = resolve_items
        self._prefix = prefix
        self._lead_time_s = lead_time_s
        self._resend = resend
        self._clock = clock
        self._observer = observer
        self._lock = threading.RLock()
        self._active: dict[str, ActiveBroadcast] = {}
        self._cancelled: set[str] = set()
        self._online: dict[tuple[str, str], bool] = {}
        # PUBACKs arrive on paho's thread, which must never wait for `_lock`: the
        # thread holding `_lock` may be inside paho's publish(), waiting for paho's own
        # locks (a lock-order deadlock). So in-flight bookkeeping has a lock of its own.
        self._flight_lock = threading.Lock()
        self._in_flight: dict[int, tuple[str, str]] = {}
        self._early_pubacks: set[int] = set()
        self._untracked: set[int] = set()  # publishes that are no command (a retained clear)

    # -- opening and closing ------------------------------------------------------------

    def open(self, occurrence: Occurrence, reason: Reason = "scheduled") -> bool:
        """Start delivering an occurrence: record it, send its `play` to every target.

        Idempotent: an occurrence already active, cancelled or over is left alone.
        Returns True when it was opened now.
        """
        with self._lock:
            bid = occurrence.broadcast_id
            now = self._clock()
            if bid in self._active or bid in self._cancelled or now >= occurrence.end:
                return False
            recorded = self._store.broadcast(bid)
            if recorded is not None and recorded.cancelled_at is not None:
                self._cancelled.add(bid)
                return False
            active = ActiveBroadcast(occurrence, self._resolve_items(occurrence))
            self._store.record_broadcast(self._record(occurrence), occurrence.clusters)
            known = self._store.delivery_states(bid)
            for cluster in occurrence.clusters:
                delivery = ClusterDelivery(cluster)
                state = known.get(cluster)
                if state is not None and state.last_state is not None:
                    delivery.acked = True
                    delivery.terminal = state.last_state in TERMINAL_STATES
                active.deliveries[cluster] = delivery
            self._active[bid] = active
            if self._observer is not None:
                self._observer.broadcast_opened(occurrence.commune)
            if reason == "scheduled" and not known and self._observer is not None:
                lag = (now - occurrence.send_at(self._lead_time_s)).total_seconds()
                self._observer.dispatch_lag(max(lag, 0.0))
            sent = sum(
                self._send_play(active, delivery, now, "restart" if known else reason)
                for delivery in active.deliveries.values()
                if not delivery.terminal
            )
            log.info(
                "broadcast opened",
                broadcast_id=bid,
                commune=occurrence.commune,
                start=occurrence.start.isoformat(),
                end=occurrence.end.isoformat(),
                clusters=len(occurrence.clusters),
                sent=sent,
                items=len(active.items),
            )
            return True

    def _record(self, occurrence: Occurrence) -> BroadcastRecord:
        return BroadcastRecord(
            broadcast_id=occurrence.broadcast_id,
            commune=occurrence.commune,
            slot=occurrence.slot,
            date=occurrence.local_date,
            title=occurrence.title,
            start=occurrence.start,
            end=occurrence.end,
            priority=occurrence.priority,
            volume=occurrence.volume,
            send_at=occurrence.send_at(self._lead_time_s),
        )

    def tick(self) -> None:
        """Close what has ended; resend to clusters whose wait for an ack is over."""
        with self._lock:
            now = self._clock()
            for bid, active in list(self._active.items()):
                if now >= active.occurrence.end:
                    self._close(active)
                    del self._active[bid]
                    continue
                for delivery in active.deliveries.values():
                    due = delivery.next_resend
                    if not delivery.acked and due is not None and due <= now:
                        self._send_play(active, delivery, now, "resend")

    def _close(self, active: ActiveBroadcast) -> None:
        deliveries = active.deliveries.values()
        log.info(
            "broadcast ended",
            broadcast_id=active.broadcast_id,
            commune=active.occurrence.commune,
            clusters=len(active.deliveries),
            acked=sum(delivery.acked for delivery in deliveries),
            never_acked=[d.cluster for d in deliveries if not d.acked],
        )

    def cancel(
        self, occurrence: Occurrence, *, by: str = TIMETABLE, reason: str | None = None
    ) -> bool:
        """Cancel an occurrence: `stop` to every target if it is active; never open it.

        `by` and `reason` go to the audit log: a token's name, or `timetable` when an
        edit removed or changed it. Returns False when it was cancelled already.
        """
        with self._lock:
            bid = occurrence.broadcast_id
            if bid in self._cancelled:
                return False
            now = self._clock()
            self._cancelled.add(bid)
            self._store.record_broadcast(self._record(occurrence), occurrence.clusters)
            self._store.cancel_broadcast(bid, now, by=by, reason=reason)
            active = self._active.pop(bid, None)
            if active is not None:
                for delivery in active.deliveries.values():
                    self._send_stop(active, delivery.cluster, now)
            log.warning(
                "broadcast cancelled",
                broadcast_id=bid,
                was_active=active is not None,
                by=by,
                reason=reason,
            )
            return True

    # -- what the clusters say ------------------------------------------------------------

    def note_ack(self, commune: str, cluster: str, broadcast_id: str, state: str) -> None:
        """A committed ack: the cluster holds the broadcast; stop resending to it."""
        with self._lock:
            active = self._active.get(broadcast_id)
            if active is None or active.occurrence.commune != commune:
                return
            delivery = active.deliveries.get(cluster)
            if delivery is None:
                return
            delivery.acked = True
            delivery.next_resend = None
            if state in TERMINAL_STATES:
                delivery.terminal = True

    def note_presence(
        self, commune: str, cluster: str, online: bool, *, retained: bool = False
    ) -> None:
        """A cluster coming online is sent at once what it should be holding.

        On every live online transition, however recent the last send: offline, the
        cluster had no session and cannot have received it, and duplicates are harmless
        by the contract (a cluster plays a `broadcast_id` once). A retained `online`
        only repeats what the broker last heard (delivered when the daemon subscribes,
        at every start and reconnect): it is sent only what it was not sent this run, so
        that a start does not send every connected cluster its play twice."""
        with self._lock:
            was_online = self._online.get((commune, cluster))
            self._online[(commune, cluster)] = online
            if not online or was_online:
                return
            now = self._clock()
            for active in self._active.values():
                if active.occurrence.commune != commune:
                    continue
                delivery = active.deliveries.get(cluster)
                if delivery is None or delivery.terminal:
                    continue
                if retained and delivery.last_sent is not None:
                    continue
                self._send_play(active, delivery, now, "online")

    def note_published(self, mid: int) -> None:
        """The broker confirmed (PUBACK) a command. Runs on paho's thread: no `_lock`."""
        with self._flight_lock:
            if mid in self._untracked:
                self._untracked.discard(mid)
                return
            target = self._in_flight.pop(mid, None)
            if target is None:  # confirmed before publish() returned its mid to us
                self._early_pubacks.add(mid)
                return
        self._store.record_publish_confirmed(target[0], target[1], self._clock())

    def clear_retained(self, name: str) -> None:
        """Publish an empty retained message to topic `name`, which makes the broker drop
        the one it keeps there (a removed cluster's last `state`)."""
        receipt = self._publisher.publish(name, b"", retain=True)
        with self._flight_lock:
            if receipt.mid in self._early_pubacks:
                self._early_pubacks.discard(receipt.mid)
            else:
                self._untracked.add(receipt.mid)
        log.info("retained message cleared", topic=name, outcome=receipt.outcome.value)

    def _track(self, mid: int, broadcast_id: str, cluster: str, now: datetime) -> None:
        with self._flight_lock:
            confirmed = mid in self._early_pubacks
            if confirmed:
                self._early_pubacks.discard(mid)
            else:
                self._in_flight[mid] = (broadcast_id, cluster)
        if confirmed:
            self._store.record_publish_confirmed(broadcast_id, cluster, now)

    # -- views ---------------------------------------------------------------------------

    def active_ids(self) -> list[str]:
        with self._lock:
            return list(self._active)

    def online_counts(self) -> dict[str, int]:
        """Clusters whose last presence said online, per commune (as seen this run)."""
        with self._lock:
            counts: dict[str, int] = {}
            for (commune, _cluster), online in self._online.items():
                counts[commune] = counts.get(commune, 0) + int(online)
            return counts

    def is_cancelled(self, broadcast_id: str) -> bool:
        with self._lock:
            return broadcast_id in self._cancelled

    def unacked(self, broadcast_id: str) -> list[str]:
        with self._lock:
            active = self._active.get(broadcast_id)
            if active is None:
                return []
            return [d.cluster for d in active.deliveries.values() if not d.acked]

    # -- sending ---------------------------------------------------------------------------

    def _send_play(
        self, active: ActiveBroadcast, delivery: ClusterDelivery, now: datetime, reason: Reason
    ) -> bool:
        occurrence = active.occurrence
        receipt = self._publish(occurrence, delivery.cluster, active.play_payload(now), "play", now)
        delivery.sends += 1
        delivery.last_sent = now
        delivery.next_resend = (
            None
            if delivery.acked
            else self._resend.next_resend(now, delivery.sends, occurrence.end)
        )
        log.info(
            "play sent",
            commune=occurrence.commune,
            cluster=delivery.cluster,
            broadcast_id=occurrence.broadcast_id,
            reason=reason,
            send=delivery.sends,
            outcome=receipt.outcome.value,
        )
        if self._observer is not None:
            self._observer.command_sent(
                occurrence.commune, "play", receipt.outcome.value, reason
            )
        return True

    def _send_stop(self, active: ActiveBroadcast, cluster: str, now: datetime) -> None:
        occurrence = active.occurrence
        command = StopCommand(occurrence.broadcast_id, now.astimezone(occurrence.start.tzinfo))
        receipt = self._publish(occurrence, cluster, command.to_payload(), "stop", now)
        log.info(
            "stop sent",
            commune=occurrence.commune,
            cluster=cluster,
            broadcast_id=occurrence.broadcast_id,
            outcome=receipt.outcome.value,
        )
        if self._observer is not None:
            self._observer.command_sent(occurrence.commune, "stop", receipt.outcome.value, "cancel")

    def _publish(
        self,
        occurrence: Occurrence,
        cluster: str,
        payload: bytes,
        command: Literal["play", "stop"],
        now: datetime,
    ) -> PublishReceipt:
        name = topic(self._prefix, occurrence.commune, cluster, TopicKind.CMD)
        receipt = self._publisher.publish(name, payload)
        self._store.record_send(
            occurrence.broadcast_id, cluster, command, receipt.outcome.value, now
        )
        self._track(receipt.mid, occurrence.broadcast_id, cluster, now)
        return receipt
