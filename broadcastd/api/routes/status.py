"""`GET /status`: every commune and cluster, online or not, and its last broadcast."""

from __future__ import annotations

from fastapi import APIRouter

from broadcastd.api import present
from broadcastd.api.deps import ClockDep, StoreDep, TopologyDep, ViewDep
from broadcastd.api.models import Status

router = APIRouter(tags=["status"])


@router.get("/status", summary="Clusters: online, last seen, last broadcast and its state")
def get_status(
    store: StoreDep, topology: TopologyDep, view: ViewDep, now: ClockDep
) -> Status:
    """All clusters of the loaded timetables, including those that never reported
    (shown offline), with per-commune counts, refused messages by reason, and what is
    wrong (a rejected timetable change lists every error here and in /healthz)."""
    moment = now()
    presences = store.presences()
    latest = store.last_deliveries(moment)
    return Status(
        generated_at=moment,
        communes=[
            present.commune_status(commune, presences, latest, topology)
            for commune in topology.communes
        ],
        rejected=present.rejected(store.rejected_counts()),
        problems=list(view.health().problems),
    )
