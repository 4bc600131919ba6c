"""`GET /status`: every commune and cluster, online or not, and its last broadcast."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, HTTPException, Query

from broadcastd.api import present
from broadcastd.api.deps import ClockDep, LangDep, StoreDep, TopologyDep, ViewDep
from broadcastd.api.models import ErrorBody, Status
from broadcastd.api.province import with_owners
from broadcastd.coordination.owners import province
from broadcastd.i18n import say

router = APIRouter(tags=["status"])


@router.get(
    "/status",
    summary="Clusters: online, last seen, last broadcast and its state or outcome",
    responses={404: {"model": ErrorBody, "description": "No such commune in the timetables."}},
)
def get_status(
    store: StoreDep,
    topology: TopologyDep,
    view: ViewDep,
    now: ClockDep,
    lang: LangDep,
    commune: Annotated[
        str | None, Query(description="Only this commune (much faster on a district server).")
    ] = None,
) -> Status:
    """All clusters of the loaded timetables, including those that never reported
    (shown offline), with per-commune counts, refused messages by reason, and what is
    wrong (a rejected timetable change lists every error here and in /healthz)."""
    moment = now()
    wanted = topology.communes
    if commune is not None:
        wanted = [known for known in wanted if known.commune == commune]
        if not wanted:
            raise HTTPException(404, f"no commune {commune!r} in the timetables")
    presences = store.presences(commune)
    latest = store.last_deliveries(moment, commune)
    last_views = {view.broadcast_id: view for view, _ in latest.values()}
    outcomes = store.outcomes(list(last_views.values()), moment)
    status = Status(
        generated_at=moment,
        communes=[
            present.commune_status(known, presences, latest, topology, outcomes)
            for known in wanted
        ],
        rejected=present.rejected(store.rejected_counts()),
        problems=[say(problem, lang) for problem in view.health().problems],
    )
    return with_owners(status, store.read(province))
