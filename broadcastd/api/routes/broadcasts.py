"""`/broadcasts`: what was sent to which cluster and what each reported back."""

from __future__ import annotations

from datetime import date as Date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, status

from broadcastd.access import Role
from broadcastd.api import present
from broadcastd.api.auth import Principal, require
from broadcastd.api.deps import ClockDep, StoreDep, TopologyDep, ViewDep
from broadcastd.api.models import (
    REASON_CHARS,
    BroadcastDetail,
    BroadcastList,
    CancelRequest,
    CancelResult,
    DeliveryState,
    ErrorBody,
)

router = APIRouter(prefix="/broadcasts", tags=["broadcasts"])

NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorBody, "description": "No broadcast with this id."}
}


@router.get(
    "", summary="Broadcasts, newest first, with every cluster's state, and outcome once over"
)
def list_broadcasts(
    store: StoreDep,
    topology: TopologyDep,
    now: ClockDep,
    commune: Annotated[str | None, Query(description="Commune id, e.g. `man-lan`.")] = None,
    date: Annotated[Date | None, Query(description="Commune-local date, YYYY-MM-DD.")] = None,
    state: Annotated[
        DeliveryState | None,
        Query(
            description="Keep broadcasts where at least one cluster is in this state "
            "(`pending`: a cluster that has acked nothing yet)."
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many.")] = 100,
) -> BroadcastList:
    views = store.list_broadcasts(
        commune=commune,
        local_date=date,
        state=state.value if state else None,
        limit=limit,
    )
    deliveries = store.deliveries_of([v.broadcast_id for v in views])
    moment = now()
    outcomes = store.outcomes(views, moment)
    items = [
        present.broadcast(
            v, deliveries.get(v.broadcast_id, {}), topology, moment, outcomes[v.broadcast_id]
        )
        for v in views
    ]
    return BroadcastList(count=len(items), broadcasts=items)


@router.get(
    "/{broadcast_id:path}", summary="One broadcast with its ack events", responses=NOT_FOUND
)
def get_broadcast(
    broadcast_id: str, store: StoreDep, topology: TopologyDep, now: ClockDep
) -> BroadcastDetail:
    """`broadcast_id` holds slashes as is: `/broadcasts/man-lan/morning/2026-11-29`."""
    view = store.broadcast(broadcast_id)
    if view is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, _unknown(broadcast_id))
    moment = now()
    outcomes = store.outcomes([view], moment)[broadcast_id]
    summary = present.broadcast(
        view, store.delivery_states(broadcast_id), topology, moment, outcomes
    )
    return present.broadcast_detail(
        summary, store.ack_events(broadcast_id), store.changes(broadcast_id), topology
    )


@router.post(
    "/{broadcast_id:path}/cancel",
    summary="Cancel a broadcast (stop it on every cluster if live)",
    responses={
        **NOT_FOUND,
        409: {"model": ErrorBody, "description": "Known, but already ended or cancelled."},
    },
)
def cancel_broadcast(
    broadcast_id: str,
    store: StoreDep,
    view: ViewDep,
    who: Annotated[Principal, Depends(require(Role.OPERATOR))],
    body: CancelRequest | None = None,
    reason: Annotated[
        str | None,
        Query(max_length=REASON_CHARS, description="Why; the body's `reason` wins if both."),
    ] = None,
) -> CancelResult:
    """Needs an operator token. Who, when and why are recorded and shown by
    GET /broadcasts/{broadcast_id}."""
    why = body.reason if body is not None and body.reason is not None else reason
    if view.cancel(broadcast_id, by=who.name, reason=why):
        return CancelResult(
            broadcast_id=broadcast_id,
            cancelled=True,
            message="cancelled; clusters playing it are sent `stop`",
        )
    if store.broadcast(broadcast_id) is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, _unknown(broadcast_id))
    raise HTTPException(
        status.HTTP_409_CONFLICT,
        f"broadcast {broadcast_id!r} has already ended or was cancelled; nothing to stop",
    )


def _unknown(broadcast_id: str) -> str:
    return (
        f"no broadcast {broadcast_id!r}; ids look like `<commune>/<slot>/<YYYY-MM-DD>`, "
        "with `~2`, `~3`... after an edit, and are listed by GET /broadcasts"
    )
