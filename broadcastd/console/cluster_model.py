"""What the cluster page shows, as plain dataclasses the template only prints.

Pure given its inputs: the route reads the store (presence, its history, the cluster's
last broadcasts and their outcomes from `Store.outcomes`) and turns them into the API's
models with `api.present`; nothing here decides a state or an outcome.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import tzinfo

from broadcastd.api.models import Broadcast, ClusterStatus
from broadcastd.api.views import CommuneTopology
from broadcastd.console.model import STAMP, TIME, Cell, cell_of
from broadcastd.console.words import Lang
from broadcastd.store.cluster_queries import PresenceChange

WHEN = f"%Y-%m-%d {STAMP}"


@dataclass(frozen=True)
class PresenceLine:
    """The cluster came online or went offline, at a local time."""

    online: bool
    word: str
    at: str


@dataclass(frozen=True)
class ClusterBroadcast:
    """One of the cluster's last broadcasts and what the cluster did with it."""

    broadcast_id: str
    title: str
    day: str
    start: str
    end: str
    cancelled: bool
    cell: Cell


@dataclass(frozen=True)
class ClusterPage:
    commune: str
    commune_name: str
    cluster: str
    area: str
    online: bool
    state: str
    """`online`'s word: connected now, or not."""
    since: str
    last_seen: str
    firmware: str
    volume: str
    history: list[PresenceLine]
    broadcasts: list[ClusterBroadcast]


def cluster_page(
    commune: CommuneTopology,
    status: ClusterStatus,
    history: list[PresenceChange],
    broadcasts: list[Broadcast],
    zone: tzinfo,
    words: dict[str, str],
    lang: Lang,
) -> ClusterPage:
    """`status` from `present.commune_status`, `broadcasts` from `present.broadcast` over
    the cluster's deliveries, newest first; times are shown in the commune's `zone`."""
    never = words["never"]
    area = commune.area_names.get(status.area or "", status.area or "") or never
    return ClusterPage(
        commune=commune.commune,
        commune_name=commune.name,
        cluster=status.cluster,
        area=area,
        online=status.online,
        state=words["online"] if status.online else words["offline"],
        since=f"{status.online_changed_at:{WHEN}}" if status.online_changed_at else never,
        last_seen=f"{status.last_seen:{WHEN}}" if status.last_seen else never,
        firmware=status.firmware or words["none"],
        volume=str(status.volume) if status.volume is not None else words["none"],
        history=[
            PresenceLine(c.online, words["came_online" if c.online else "went_offline"],
                         f"{c.at.astimezone(zone):{WHEN}}")
            for c in history
        ],
        broadcasts=[_line(b, status.cluster, lang) for b in broadcasts],
    )


def _line(item: Broadcast, cluster: str, lang: Lang) -> ClusterBroadcast:
    """The broadcast with the cell of this cluster's delivery: its outcome once over."""
    mine = next(c for c in item.clusters if c.cluster == cluster)
    cell = cell_of(mine.state, mine.outcome.value if mine.outcome else None, lang,
                   mine.outcome_detail or mine.detail or "")
    return ClusterBroadcast(
        broadcast_id=item.broadcast_id,
        title=item.title,
        day=item.date.isoformat(),
        start=f"{item.start:{TIME}}",
        end=f"{item.end:{TIME}}",
        cancelled=item.cancelled,
        cell=cell,
    )
