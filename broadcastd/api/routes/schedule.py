"""`GET /schedule`: what the daemon will broadcast in the next hours."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from broadcastd.api import present
from broadcastd.api.deps import ClockDep, StoreDep, ViewDep
from broadcastd.api.models import Schedule

router = APIRouter(tags=["schedule"])


@router.get("/schedule", summary="Broadcasts planned in the next hours")
def get_schedule(
    view: ViewDep,
    store: StoreDep,
    now: ClockDep,
    hours: Annotated[
        float, Query(gt=0, le=168, description="How far ahead to look, in hours (max a week).")
    ] = 24,
) -> Schedule:
    """Occurrences that are live now or start within `hours`, in each commune's time zone;
    cancelled ones stay listed, marked `cancelled`."""
    moment = now()
    planned = view.upcoming(hours)
    cancelled = store.cancelled_occurrences([o.broadcast_id for o in planned])
    return Schedule(
        generated_at=moment,
        hours=hours,
        occurrences=[
            present.occurrence(o, moment, o.broadcast_id in cancelled) for o in planned
        ],
    )
