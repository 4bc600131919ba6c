"""Store records and daemon views turned into response models: pure, given the clock."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from broadcastd.api import status_answer
from broadcastd.api.deps import Topology
from broadcastd.api.models import (
    AckEvent,
    Broadcast,
    BroadcastDetail,
    BroadcastSummary,
    Change,
    ClusterDelivery,
    ClusterStatus,
    CommuneCounts,
    CommuneStatus,
    DeliveryState,
    LastBroadcast,
    Occurrence,
    Phase,
    RejectedCount,
)
from broadcastd.api.views import CommuneTopology, OccurrenceView
from broadcastd.store import (
    AckEventView,
    BroadcastView,
    ChangeView,
    DeliveryOutcome,
    DeliveryView,
    PresenceView,
    RejectedView,
)
from broadcastd.store.access import CANCEL, WITHDRAW
from broadcastd.store.outcomes import Outcome


def phase(start: datetime, end: datetime, now: datetime) -> Phase:
    if now < start:
        return Phase.scheduled
    return Phase.live if now < end else Phase.ended


def state_of(delivery: DeliveryView) -> DeliveryState:
    return DeliveryState(delivery.last_state or DeliveryState.pending)


Outcomes = dict[str, DeliveryOutcome | None]
"""Per cluster, what it did (None while the broadcast is on); from `Store.outcomes`."""


def broadcast(
    view: BroadcastView,
    deliveries: dict[str, DeliveryView],
    topology: Topology,
    now: datetime,
    outcomes: Outcomes | None = None,
) -> Broadcast:
    zone = topology.zone(view.commune)
    done = outcomes or {}
    clusters = [
        ClusterDelivery(
            cluster=d.cluster,
            area=topology.area_of(view.commune, d.cluster),
            state=state_of(d),
            state_at=d.last_state_at.astimezone(zone) if d.last_state_at else None,
            item=d.last_item,
            detail=d.last_detail,
            sends=d.sends,
            first_sent_at=d.first_sent_at.astimezone(zone) if d.first_sent_at else None,
            last_sent_at=d.last_sent_at.astimezone(zone) if d.last_sent_at else None,
            last_send_outcome=d.last_send_outcome,
            published_at=d.published_at.astimezone(zone) if d.published_at else None,
            outcome=_outcome(done.get(d.cluster)),
            outcome_detail=_outcome_detail(done.get(d.cluster)),
        )
        for d in sorted(deliveries.values(), key=lambda d: d.cluster)
    ]
    counts = Counter(c.state.value for c in clusters)
    outcome_counts = Counter(c.outcome.value for c in clusters if c.outcome is not None)
    return Broadcast(
        broadcast_id=view.broadcast_id,
        commune=view.commune,
        slot=view.slot,
        date=view.date,
        title=view.title,
        start=view.start.astimezone(zone),
        end=view.end.astimezone(zone),
        priority=view.priority,
        volume=view.volume,
        send_at=view.send_at.astimezone(zone),
        cancelled=view.cancelled_at is not None,
        cancelled_at=view.cancelled_at.astimezone(zone) if view.cancelled_at else None,
        phase=phase(view.start, view.end, now),
        counts={state.value: counts[state.value] for state in DeliveryState if counts[state.value]},
        outcomes={o.value: outcome_counts[o.value] for o in Outcome if outcome_counts[o.value]},
        clusters=clusters,
    )


def broadcast_detail(
    summary: Broadcast,
    events: list[AckEventView],
    changes: list[ChangeView],
    topology: Topology,
) -> BroadcastDetail:
    zone = topology.zone(summary.commune)
    cancel = next((c for c in changes if c.action in (CANCEL, WITHDRAW)), None)
    return BroadcastDetail(
        **summary.model_dump(),
        cancelled_by=cancel.actor if cancel else None,
        cancel_reason=cancel.reason if cancel else None,
        changes=[
            Change(at=c.at.astimezone(zone), by=c.actor, action=c.action, reason=c.reason)
            for c in changes
        ],
        ack_events=[
            AckEvent(
                cluster=e.cluster,
                state=DeliveryState(e.state),
                item=e.item,
                detail=e.detail,
                cluster_at=e.cluster_at.astimezone(zone),
                received_at=e.received_at.astimezone(zone),
            )
            for e in events
        ],
    )


def commune_status(
    commune: CommuneTopology,
    presences: dict[tuple[str, str], PresenceView],
    latest: dict[tuple[str, str], tuple[BroadcastView, DeliveryView]],
    topology: Topology,
    outcomes: dict[str, Outcomes] | None = None,
    now: datetime | None = None,
) -> CommuneStatus:
    """Every cluster of the timetable, including those that never said a word; the last
    broadcast of each with its outcome once over (`outcomes` by broadcast id); the
    commune's latest broadcast summed up when `now` is given."""
    done = outcomes or {}
    zone = topology.zone(commune.commune)
    clusters: list[ClusterStatus] = []
    for area, members in commune.areas.items():
        for cluster in members:
            key = (commune.commune, cluster)
            presence = presences.get(key)
            last = latest.get(key)
            clusters.append(
                ClusterStatus(
                    cluster=cluster,
                    area=area,
                    online=presence.online if presence else False,
                    last_seen=presence.last_seen_at.astimezone(zone) if presence else None,
                    online_changed_at=presence.changed_at.astimezone(zone) if presence else None,
                    firmware=presence.firmware if presence else None,
                    volume=presence.volume if presence else None,
                    last_broadcast=(
                        _last_broadcast(
                            *last, topology, done.get(last[0].broadcast_id, {}).get(cluster)
                        )
                        if last
                        else None
                    ),
                )
            )
    found = status_answer.tally(commune, presences, latest, done)
    summed = status_answer.last_broadcast_json(found, zone, now) if now is not None else None
    return CommuneStatus(
        commune=commune.commune,
        name=commune.name,
        timezone=commune.timezone,
        counts=CommuneCounts(**status_answer.counts_json(found)),
        attention=found.attention,
        last_broadcast=BroadcastSummary.model_validate(summed) if summed else None,
        clusters=clusters,
    )


def _outcome(found: DeliveryOutcome | None) -> Outcome | None:
    return None if found is None else found.outcome


def _outcome_detail(found: DeliveryOutcome | None) -> str | None:
    return None if found is None else found.detail


def _last_broadcast(
    view: BroadcastView,
    d: DeliveryView,
    topology: Topology,
    outcome: DeliveryOutcome | None = None,
) -> LastBroadcast:
    zone = topology.zone(view.commune)
    return LastBroadcast(
        broadcast_id=view.broadcast_id,
        title=view.title,
        start=view.start.astimezone(zone),
        end=view.end.astimezone(zone),
        cancelled=view.cancelled_at is not None,
        state=state_of(d),
        state_at=d.last_state_at.astimezone(zone) if d.last_state_at else None,
        item=d.last_item,
        detail=d.last_detail,
        sends=d.sends,
        last_send_outcome=d.last_send_outcome,
        outcome=_outcome(outcome),
        outcome_detail=_outcome_detail(outcome),
    )


def rejected(counts: list[RejectedView]) -> list[RejectedCount]:
    return [
        RejectedCount(
            reason=r.reason,
            count=r.count,
            last_at=r.last_at,
            last_topic=r.last_topic,
            last_sample=r.last_sample,
        )
        for r in counts
    ]


def occurrence(view: OccurrenceView, now: datetime, cancelled: bool = False) -> Occurrence:
    return Occurrence(
        broadcast_id=view.broadcast_id,
        commune=view.commune,
        slot=view.slot,
        title=view.title,
        start=view.start,
        end=view.end,
        phase=phase(view.start, view.end, now),
        clusters=list(view.clusters),
        priority=view.priority,
        volume=view.volume,
        items=list(view.items),
        cancelled=cancelled,
    )
