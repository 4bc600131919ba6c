"""The delivery policy: which `play` and `stop` goes to which cluster, and when.

A broadcast is *active* from its send time (start minus the lead time) until its end.
While active, every target cluster that has not acknowledged it is sent the `play`
again with growing waits; a cluster that comes online is sent it at once; a cancelled
broadcast gets a `stop`. The dispatcher keeps this in memory and rebuilds it from the
database after a restart, so a cluster that already finished a broadcast is left alone
and one that is mid-way is sent the same `broadcast_id` again (which it ignores).

An occurrence edited after it was sent (`update`): clusters added get the same id,
clusters removed get a `stop`; a change to what plays (times, volume, priority,
playlist) is a *revision*: the id sent is stopped and `<id>~2` (then `~3`...) goes to
the clusters, since a cluster never replays an id it holds. The current revision and
a fingerprint of what it was sent with are stored, so a restart re-opens the same id,
or revises it if the timetable changed while the daemon was down.

Called from the scheduler's threads, paho's network thread and the database writer's
thread; one lock guards the state. Nothing here blocks on the network: publishing only
queues a message in the MQTT client.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, Protocol

import structlog

from broadcastd.contract.messages import TERMINAL_STATES, PlayCommand, PlayItem, StopCommand
from broadcastd.contract.topics import REVISION_MARK, TopicKind, topic
from broadcastd.delivery.link import PublishReceipt
from broadcastd.delivery.policy import ResendPolicy
from broadcastd.planning.occurrences import Occurrence
from broadcastd.store import BroadcastRecord, RevisionView, Store
from broadcastd.store.access import TIMETABLE

log = structlog.get_logger(__name__)

EMERGENCY = 100
"""A play of this priority or more is resent by the emergency policy."""

Reason = Literal["scheduled", "join", "resend", "online", "restart", "added", "announce"]


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
        emergency_resend: ResendPolicy | None = None,
        acks_elsewhere: bool = False,
    ) -> None:
        """`emergency_resend`: the resend policy of a play of priority >= 100 (an
        emergency is resent to a silent cluster sooner); default: `resend`.
        `acks_elsewhere`: other daemons store acks too (several daemons, one province),
        so before a resend the store is asked whether the cluster acked meanwhile."""
        self._publisher = publisher
        self._store = store
        self._resolve_items = resolve_items
        self._prefix = prefix
        self._lead_time_s = lead_time_s
        self._resend = resend
        self._emergency_resend = emergency_resend or resend
        self._clock = clock
        self._observer = observer
        self._lock = threading.RLock()
        self._active: dict[str, ActiveBroadcast] = {}
        # Occurrences (base ids) cancelled by people: never opened again.
        self._cancelled: set[str] = set()
        # Current revision of each occurrence seen (base id), as stored.
        self._revisions: dict[str, RevisionView] = {}
        self._online: dict[tuple[str, str], bool] = {}
        # PUBACKs arrive on paho's thread, which must never wait for `_lock`: the
        # thread holding `_lock` may be inside paho's publish(), waiting for paho's own
        # locks (a lock-order deadlock). So in-flight bookkeeping has a lock of its own.
        self._flight_lock = threading.Lock()
        self._in_flight: dict[int, tuple[str, str]] = {}
        self._early_pubacks: set[int] = set()
        self._untracked: set[int] = set()  # publishes that are no command (a retained clear)
        self._acks_elsewhere = acks_elsewhere
        # The communes this daemon runs (None: all, a single daemon).
        self._owned: frozenset[str] | None = None

    # -- opening and closing ------------------------------------------------------------

    def open(self, occurrence: Occurrence, reason: Reason = "scheduled") -> bool:
        """Start delivering an occurrence: record it, send its `play` to every target.

        Idempotent: an occurrence already active, cancelled or over is left alone.
        Returns True when it was opened now.
        """
        with self._lock:
            base = occurrence.base_id
            now = self._clock()
            if base in self._cancelled or now >= occurrence.end:
                return False
            if self._owned is not None and occurrence.commune not in self._owned:
                return False
            if self._active_of(base) is not None:
                return False
            number = self._revision(base).revision
            first_id = occurrence.with_revision(number).broadcast_id
            recorded = self._store.broadcast(first_id)
            if recorded is not None and recorded.cancelled_at is not None:
                self._cancelled.add(base)
                return False
            occurrence = self._current_revision(occurrence, now)
            bid = occurrence.broadcast_id
            active = ActiveBroadcast(occurrence, self._resolve_items(occurrence))
            self._store.record_broadcast(
                self._record(occurrence, active.items), occurrence.clusters,
                wait=self._acks_elsewhere,
            )
            # Never recorded: no deliveries a restart must respect (one read less a commune).
            fresh = recorded is None and bid == first_id
            known = {} if fresh else self._store.delivery_states(bid)
            for cluster in occurrence.clusters:
                delivery = ClusterDelivery(cluster)
                state = known.get(cluster)
                if state is not None and state.last_state is not None:
                    delivery.acked = True
                    delivery.terminal = state.last_state in TERMINAL_STATES
                active.deliveries[cluster] = delivery
            # Sent before a restart to a cluster the timetable no longer targets.
            dropped = [
                cluster
                for cluster, state in known.items()
                if cluster not in active.deliveries
                and state.sends
                and state.last_state not in TERMINAL_STATES
            ]
            for cluster in dropped:
                self._send_stop(occurrence, cluster, now, "removed")
            self._active[bid] = active
            if self._observer is not None:
                self._observer.broadcast_opened(occurrence.commune)
            if reason == "scheduled" and not known and self._observer is not None:
                lag = (now - occurrence.send_at(self._lead_time_s)).total_seconds()
                self._observer.dispatch_lag(max(lag, 0.0))
            outcomes = Counter(
                self._send_play(active, delivery, now, "restart" if known else reason)
                for delivery in active.deliveries.values()
                if not delivery.terminal
            )
            # One line a broadcast; each cluster's `play sent` is a debug line.
            log.info(
                "broadcast opened",
                broadcast_id=bid,
                commune=occurrence.commune,
                start=occurrence.start.isoformat(),
                end=occurrence.end.isoformat(),
                clusters=len(occurrence.clusters),
                sent=sum(outcomes.values()),
                **{outcome: outcomes[outcome] for outcome in ("published", "queued", "failed")},
                items=len(active.items),
            )
            return True

    def _record(
        self, occurrence: Occurrence, items: tuple[PlayItem, ...] | None = None
    ) -> BroadcastRecord:
        """`items`: what the `play` carries, kept for the delivery outcomes."""
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
            item_durations=None if items is None else tuple(i.duration_s for i in items),
        )

    def _revision(self, base: str) -> RevisionView:
        """The current revision of an occurrence: remembered, else stored, else 1."""
        known = self._revisions.get(base)
        if known is None:
            known = self._store.revision(base) or RevisionView(base, 1, None)
            self._revisions[base] = known
        return known

    def _set_revision(self, base: str, number: int, fingerprint: str, now: datetime) -> None:
        self._revisions[base] = RevisionView(base, number, fingerprint)
        self._store.record_revision(base, number, fingerprint, now)

    def _current_revision(self, occurrence: Occurrence, now: datetime) -> Occurrence:
        """The occurrence under the id to send now, its fingerprint recorded.

        A revision sent before (this run or the last) with other content than the
        timetable now says was changed while nobody looked (the daemon was down): what
        the clusters hold is stopped, and the next revision goes out instead."""
        base, fingerprint = occurrence.base_id, occurrence.fingerprint
        current = self._revision(base)
        if current.fingerprint is None or current.fingerprint == fingerprint:
            if current.fingerprint is None:
                self._set_revision(base, current.revision, fingerprint, now)
            return occurrence.with_revision(current.revision)
        sent = occurrence.with_revision(current.revision)
        stopped = [
            cluster
            for cluster, state in self._store.delivery_states(sent.broadcast_id).items()
            if state.last_state not in TERMINAL_STATES
        ]
        for cluster in stopped:
            self._send_stop(sent, cluster, now, "revised")
        self._store.supersede(
            sent.broadcast_id,
            base,
            current.revision + 1,
            now,
            f"changed in the timetable while the daemon was down; revision "
            f"{current.revision + 1} replaces it",
        )
        self._set_revision(base, current.revision + 1, fingerprint, now)
        log.warning(
            "broadcast changed while the daemon was down; sending a revision",
            broadcast_id=sent.broadcast_id,
            revision=current.revision + 1,
            stopped=len(stopped),
        )
        return occurrence.with_revision(current.revision + 1)

    def _active_of(self, base: str) -> ActiveBroadcast | None:
        for active in self._active.values():
            if active.occurrence.base_id == base:
                return active
        return None

    def update(self, occurrence: Occurrence) -> str | None:
        """An occurrence edited in the timetable: what the clusters already sent it get.

        Clusters added are sent the same broadcast (and recorded); clusters removed are
        sent `stop`. A change to what plays (times, volume, priority, playlist), before
        or after the start, stops the id sent and makes the next revision current: the
        scheduler opens it (at once when due), so no cluster silently loses the slot.
        Not sent yet: nothing to do (its job moves). Returns what changed, for the log.
        """
        with self._lock:
            active = self._active_of(occurrence.base_id)
            if active is None:
                return None
            now = self._clock()
            sent = active.occurrence
            if sent.fingerprint != occurrence.fingerprint:
                self._withdraw(
                    active, now, f"changed in the timetable; revision {sent.revision + 1} replaces it"
                )
                return f"{sent.broadcast_id}: changed; stopped, revision {sent.revision + 1} next"
            current = occurrence.with_revision(sent.revision)
            added = [c for c in current.clusters if c not in active.deliveries]
            removed = [c for c in active.deliveries if c not in current.clusters]
            active.occurrence = current
            if added:
                self._store.record_broadcast(
                    self._record(current), added, wait=self._acks_elsewhere
                )
                for cluster in added:
                    delivery = ClusterDelivery(cluster)
                    active.deliveries[cluster] = delivery
                    self._send_play(active, delivery, now, "added")
            for cluster in removed:
                if not active.deliveries.pop(cluster).terminal:
                    self._send_stop(current, cluster, now, "removed")
            if not (added or removed):
                return None
            log.info(
                "broadcast targets changed",
                broadcast_id=current.broadcast_id,
                added=added,
                removed=removed,
            )
            return f"{current.broadcast_id}: {len(added)} clusters added, {len(removed)} removed"

    def withdraw(self, occurrence: Occurrence) -> bool:
        """The occurrence left the timetable: `stop` where it was sent. Unlike `cancel`,
        nothing stays refused: put back, it goes out as its next revision."""
        with self._lock:
            active = self._active_of(occurrence.base_id)
            if active is None:
                return False
            self._withdraw(active, self._clock(), "removed from the timetable")
            return True

    def _withdraw(self, active: ActiveBroadcast, now: datetime, why: str) -> None:
        sent = active.occurrence
        del self._active[sent.broadcast_id]
        for delivery in active.deliveries.values():
            if not delivery.terminal:
                self._send_stop(sent, delivery.cluster, now, "revised")
        self._store.supersede(sent.broadcast_id, sent.base_id, sent.revision + 1, now, why)
        self._revisions[sent.base_id] = RevisionView(sent.base_id, sent.revision + 1, None)
        log.warning("broadcast withdrawn", broadcast_id=sent.broadcast_id, was_active=True)

    def set_owned(self, communes: frozenset[str] | None) -> list[str]:
        """Run only these communes (None: all). What another daemon now runs is dropped
        here without a word to the clusters: no `stop`, nothing superseded, since the
        broadcasts go on under their new owner, which re-opens them from the store.
        Returns the broadcast ids handed over."""
        with self._lock:
            self._owned = communes
            if communes is None:
                return []
            gone = [
                bid for bid, active in self._active.items()
                if active.occurrence.commune not in communes
            ]
            for bid in gone:
                del self._active[bid]
            # The new owner may revise them: read the revision from the store next time.
            for base in [b for b in self._revisions if b.split("/", 1)[0] not in communes]:
                del self._revisions[base]
            if gone:
                log.info("broadcasts handed over", broadcast_ids=gone)
            return gone

    def follow_cancellations(self) -> list[str]:
        """Stop what people cancelled through another daemon (several daemons, one
        province): the cancellation is in the store, and this daemon sends the commune.
        Returns the broadcast ids stopped."""
        with self._lock:
            bases = [active.occurrence.base_id for active in self._active.values()]
        cancelled = self._store.cancelled_occurrences(bases) if bases else set()
        if not cancelled:
            return []
        stopped = []
        with self._lock:
            now = self._clock()
            for bid, active in list(self._active.items()):
                if active.occurrence.base_id not in cancelled:
                    continue
                self._cancelled.add(active.occurrence.base_id)
                del self._active[bid]
                for delivery in active.deliveries.values():
                    if not delivery.terminal:
                        self._send_stop(active.occurrence, delivery.cluster, now, "cancel")
                stopped.append(bid)
                log.warning("broadcast cancelled through another daemon", broadcast_id=bid)
        return stopped

    def active_communes(self) -> set[str]:
        """Communes with a broadcast being sent (live, or inside its lead time)."""
        with self._lock:
            return {active.occurrence.commune for active in self._active.values()}

    def current_id(self, base: str) -> str:
        """The id under which an occurrence is (or will be) sent: `base` or `base~N`."""
        with self._lock:
            active = self._active_of(base)
            if active is not None:
                return active.broadcast_id
            number = self._revision(base).revision
        return base if number <= 1 else f"{base}{REVISION_MARK}{number}"

    def tick(self) -> None:
        """Close what has ended; resend to clusters whose wait for an ack is over."""
        with self._lock:
            now = self._clock()
            for bid, active in list(self._active.items()):
                if now >= active.occurrence.end:
                    self._close(active)
                    del self._active[bid]
                    continue
                due = [
                    delivery for delivery in active.deliveries.values()
                    if not delivery.acked
                    and delivery.next_resend is not None
                    and delivery.next_resend <= now
                ]
                if due and self._acks_elsewhere:
                    due = self._not_acked_elsewhere(active, due)
                for delivery in due:
                    self._send_play(active, delivery, now, "resend")

    def _not_acked_elsewhere(
        self, active: ActiveBroadcast, due: list[ClusterDelivery]
    ) -> list[ClusterDelivery]:
        """Of the deliveries due for a resend, those the store has no ack for either (an
        ack another daemon received and stored never reaches this one's memory)."""
        stored = self._store.delivery_states(active.broadcast_id)
        waiting = []
        for delivery in due:
            state = stored.get(delivery.cluster)
            if state is None or state.last_state is None:
                waiting.append(delivery)
                continue
            delivery.acked = True
            delivery.next_resend = None
            delivery.terminal = state.last_state in TERMINAL_STATES
        return waiting

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
            base = occurrence.base_id
            if base in self._cancelled:
                return False
            now = self._clock()
            self._cancelled.add(base)
            active = self._active_of(base)
            if active is not None:
                occurrence = active.occurrence
            else:
                occurrence = occurrence.with_revision(self._revision(base).revision)
            bid = occurrence.broadcast_id
            self._store.record_broadcast(self._record(occurrence), occurrence.clusters)
            self._store.cancel_broadcast(bid, now, by=by, reason=reason)
            if active is not None:
                del self._active[bid]
                for delivery in active.deliveries.values():
                    self._send_stop(occurrence, delivery.cluster, now, "cancel")
            log.warning(
                "broadcast cancelled",
                broadcast_id=bid,
                was_active=active is not None,
                by=by,
                reason=reason,
            )
            return True

    def stop_clusters(
        self, broadcast_id: str, clusters: Sequence[str]
    ) -> tuple[list[str], list[str]] | None:
        """`stop` to some clusters of an active broadcast, which then get nothing more
        of it (no resend, nothing on coming online); the others play on.

        None when the broadcast is not active; else (clusters sent `stop`, names it
        does not target). With any unknown name, nothing is sent."""
        with self._lock:
            active = self._active.get(broadcast_id)
            if active is None:
                return None
            unknown = [c for c in clusters if c not in active.deliveries]
            if unknown:
                return [], unknown
            now = self._clock()
            stopped = []
            for cluster in dict.fromkeys(clusters):
                delivery = active.deliveries[cluster]
                delivery.terminal = True
                delivery.next_resend = None
                self._send_stop(active.occurrence, cluster, now, "operator")
                stopped.append(cluster)
            log.warning("broadcast stopped on some clusters", broadcast_id=broadcast_id,
                        clusters=stopped)
            return stopped, []

    def _policy(self, occurrence: Occurrence) -> ResendPolicy:
        return self._emergency_resend if occurrence.priority >= EMERGENCY else self._resend

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

    def is_cancelled(self, base_id: str) -> bool:
        """Whether people cancelled the occurrence (its planner id, any revision)."""
        with self._lock:
            return base_id in self._cancelled

    def unacked(self, broadcast_id: str) -> list[str]:
        with self._lock:
            active = self._active.get(broadcast_id)
            if active is None:
                return []
            return [d.cluster for d in active.deliveries.values() if not d.acked]

    # -- sending ---------------------------------------------------------------------------

    def _send_play(
        self, active: ActiveBroadcast, delivery: ClusterDelivery, now: datetime, reason: Reason
    ) -> str:
        """Publish the play; its outcome (`published`, `queued`, `failed`)."""
        occurrence = active.occurrence
        receipt = self._publish(occurrence, delivery.cluster, active.play_payload(now), "play", now)
        delivery.sends += 1
        delivery.last_sent = now
        delivery.next_resend = (
            None
            if delivery.acked
            else self._policy(occurrence).next_resend(now, delivery.sends, occurrence.end)
        )
        log.debug(
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
        return receipt.outcome.value

    def _send_stop(
        self, occurrence: Occurrence, cluster: str, now: datetime, reason: str
    ) -> None:
        command = StopCommand(occurrence.broadcast_id, now.astimezone(occurrence.start.tzinfo))
        receipt = self._publish(occurrence, cluster, command.to_payload(), "stop", now)
        log.info(
            "stop sent",
            commune=occurrence.commune,
            cluster=cluster,
            broadcast_id=occurrence.broadcast_id,
            reason=reason,
            outcome=receipt.outcome.value,
        )
        if self._observer is not None:
            self._observer.command_sent(occurrence.commune, "stop", receipt.outcome.value, reason)

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
