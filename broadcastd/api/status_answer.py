"""What `/status` says of a commune without listing its clusters: counts, the latest
broadcast and what needs a look. Pure: given the store's views and the clock.

At a province's size (10,000 clusters) the full list is megabytes; the summary is a few
hundred bytes a commune, so it is the default answer and the clusters of one commune
come with `?commune=` (paged). The JSON is built here as plain dicts (no models per
request); `models.Status` documents the same shape.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from broadcastd.api.views import CommuneTopology
from broadcastd.contract import format_time
from broadcastd.store import BroadcastView, DeliveryOutcome, DeliveryView, PresenceView

Presences = dict[tuple[str, str], PresenceView]
Latest = dict[tuple[str, str], tuple[BroadcastView, DeliveryView]]
Outcomes = dict[str, dict[str, DeliveryOutcome | None]]

NEEDS_A_LOOK = frozenset({"failed", "stopped", "missed", "partial"})
"""A cluster's last broadcast shown as one of these (state while on, outcome once over)
counts towards its commune's `attention`, as being offline does."""


@dataclass
class CommuneTally:
    """A commune counted over its clusters."""

    clusters: int = 0
    online: int = 0
    attention: int = 0
    shown: Counter[str] = field(default_factory=Counter)
    """Clusters by their last broadcast: outcome once over, else state; `none`."""
    last: BroadcastView | None = None
    last_states: Counter[str] = field(default_factory=Counter)
    last_outcomes: Counter[str] = field(default_factory=Counter)


def shown_of(delivery: DeliveryView | None, outcome: DeliveryOutcome | None) -> str:
    """What a cluster's last broadcast counts as: its outcome once over, else its state."""
    if delivery is None:
        return "none"
    if outcome is not None:
        return outcome.outcome.value
    return delivery.last_state or "pending"


def tally(commune: CommuneTopology, presences: Presences, latest: Latest,
          outcomes: Outcomes) -> CommuneTally:
    """Online and attention counts, and the commune's latest broadcast counted over the
    clusters whose last broadcast it is."""
    found = CommuneTally()
    rows: list[tuple[BroadcastView, DeliveryView, DeliveryOutcome | None]] = []
    for members in commune.areas.values():
        for cluster in members:
            key = (commune.commune, cluster)
            presence = presences.get(key)
            online = presence is not None and presence.online
            last = latest.get(key)
            outcome = outcomes.get(last[0].broadcast_id, {}).get(cluster) if last else None
            shown = shown_of(last[1] if last else None, outcome)
            found.clusters += 1
            found.online += online
            found.attention += (not online) or shown in NEEDS_A_LOOK
            found.shown[shown] += 1
            if last is not None:
                rows.append((last[0], last[1], outcome))
                if found.last is None or _newer(last[0], found.last):
                    found.last = last[0]
    for view, delivery, outcome in rows:
        if found.last is not None and view.broadcast_id == found.last.broadcast_id:
            found.last_states[delivery.last_state or "pending"] += 1
            if outcome is not None:
                found.last_outcomes[outcome.outcome.value] += 1
    return found


def _newer(view: BroadcastView, than: BroadcastView) -> bool:
    return (view.start, view.created_at, view.broadcast_id) > (
        than.start, than.created_at, than.broadcast_id)


def phase_of(view: BroadcastView, now: datetime) -> str:
    if now < view.start:
        return "scheduled"
    return "live" if now < view.end else "ended"


def counts_json(found: CommuneTally) -> dict[str, Any]:
    return {
        "clusters": found.clusters,
        "online": found.online,
        "offline": found.clusters - found.online,
        "last_broadcast_states": dict(sorted(found.shown.items())),
    }


def last_broadcast_json(found: CommuneTally, zone: ZoneInfo, now: datetime
                        ) -> dict[str, Any] | None:
    view = found.last
    if view is None:
        return None
    return {
        "broadcast_id": view.broadcast_id,
        "title": view.title,
        "start": format_time(view.start.astimezone(zone)),
        "end": format_time(view.end.astimezone(zone)),
        "phase": phase_of(view, now),
        "cancelled": view.cancelled_at is not None,
        "clusters": sum(found.last_states.values()),
        "states": dict(sorted(found.last_states.items())),
        "outcomes": dict(sorted(found.last_outcomes.items())),
    }


def commune_summary(commune: CommuneTopology, presences: Presences, latest: Latest,
                    outcomes: Outcomes, now: datetime) -> dict[str, Any]:
    """One commune of the default answer; `owner` stays null until several daemons
    share a province (the coordination fills it)."""
    found = tally(commune, presences, latest, outcomes)
    return {
        "commune": commune.commune,
        "name": commune.name,
        "timezone": commune.timezone,
        "owner": None,
        "counts": counts_json(found),
        "attention": found.attention,
        "last_broadcast": last_broadcast_json(found, ZoneInfo(commune.timezone), now),
        "clusters": None,
        "cluster_page": None,
    }


def problems_first(communes: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Communes with clusters that need a look first, each group in timetable order."""
    return sorted(communes, key=lambda commune: commune["attention"] == 0)


def next_change(latest: Latest, now: datetime) -> datetime | None:
    """When a shown broadcast ends (its outcome appears then) without any write: the
    answer must be built again by that time."""
    ends = {view.end for view, _ in latest.values() if view.end > now}
    return min(ends) if ends else None
