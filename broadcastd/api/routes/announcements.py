"""`POST /announcements` (play now, or at a time) and `POST /broadcasts/{id}/stop`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Request, status

from broadcastd.access import Role
from broadcastd.announce.model import (
    AnnouncementRequest,
    AnnouncementResult,
    InvalidRequest,
    StopRequest,
    StopResult,
)
from broadcastd.announce.plan import AnnouncementRefused
from broadcastd.announce.service import AnnounceDesk, StopRefused
from broadcastd.api.auth import Principal, require
from broadcastd.api.deps import DaemonView, LangDep, StoreDep, ViewDep
from broadcastd.api.models import ErrorBody
from broadcastd.i18n import DEFAULT, Language, _, from_request, ngettext, said_error, say
from broadcastd.store import Store, StoreWriteFailed

router = APIRouter(tags=["announcements"])

Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]

REFUSED: dict[int | str, dict[str, Any]] = {
    422: {
        "model": ErrorBody | InvalidRequest,
        "description": "Cannot go out as asked: the reason and the fix (`detail` a text), "
        "or a request of the wrong shape (`detail` a list of problems).",
    },
    503: {
        "model": ErrorBody,
        "description": "The daemon is still starting, or the database did not take the "
        "announcement (nothing was sent).",
    },
}


def get_announcer(request: Request) -> AnnounceDesk:
    source: Callable[[], AnnounceDesk | None] | None = getattr(
        request.app.state, "announcer", None
    )
    announcer = source() if source is not None else None
    if announcer is None:
        lang = from_request(request.query_params.get("lang"), request.headers.get("accept-language"))
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            say(_("the daemon is still starting (or runs without delivery); try again in a "
                  "moment"), lang),
        )
    return announcer


AnnouncerDep = Annotated[AnnounceDesk, Depends(get_announcer)]


@router.post(
    "/announcements",
    status_code=status.HTTP_201_CREATED,
    summary="Announce: play now (or at a time) on some or all clusters of a commune",
    responses=REFUSED,
)
def announce(
    body: AnnouncementRequest, who: Operator, announcer: AnnouncerDep, lang: LangDep
) -> AnnouncementResult:
    """Needs an operator token. `start: "now"` starts a few seconds from now (the
    server's `announce.lead_s`), so clusters fetch the files first; the play goes to
    every target cluster at once. A higher priority takes the speaker at its start;
    what it interrupts resumes when it ends. Who and why go to the audit log. Refusals
    are said in Vietnamese unless `?lang=en` or Accept-Language asks for English."""
    try:
        occurrence = announcer.announce(body, by=who.name)
    except AnnouncementRefused as refused:
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_ENTITY, refused.said(lang)
        ) from refused
    except StoreWriteFailed as failed:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            say(_("the announcement could not be written to the database, so nothing was "
                  "sent; check GET /healthz (a full disk?) and send it again"), lang),
        ) from failed
    return AnnouncementResult(
        broadcast_id=occurrence.broadcast_id,
        start=occurrence.start,
        end=occurrence.end,
        clusters=list(occurrence.clusters),
    )


@router.post(
    "/broadcasts/{broadcast_id:path}/stop",
    summary="Stop a broadcast on some clusters, or on all (= cancel)",
    responses={
        404: {"model": ErrorBody, "description": "No broadcast with this id."},
        409: {"model": ErrorBody, "description": "Not being delivered now."},
        **REFUSED,
    },
)
def stop_broadcast(
    broadcast_id: str,
    who: Operator,
    store: StoreDep,
    view: ViewDep,
    announcer: AnnouncerDep,
    lang: LangDep,
    body: StopRequest | None = None,
) -> StopResult:
    """Needs an operator token. With `clusters`, only those are sent `stop` (and get no
    more of it); the others play on. Without, the whole broadcast is cancelled, like
    POST /broadcasts/{id}/cancel. Who, which clusters and why go to the audit log."""
    return stop_on(broadcast_id, body or StopRequest(), who, store, view, announcer, lang)


def stop_on(
    broadcast_id: str,
    request: StopRequest,
    who: Principal,
    store: Store,
    view: DaemonView,
    announcer: AnnounceDesk,
    lang: Language = DEFAULT,
) -> StopResult:
    """The stop itself, for this route and the console's stop form: HTTPException (404,
    409, or the refusal's code) with the message for people, in `lang`, when it cannot
    be done."""
    if store.broadcast(broadcast_id) is None:
        raise HTTPException(
            status.HTTP_404_NOT_FOUND,
            say(_("no broadcast {broadcast}; GET /broadcasts lists them").format(
                broadcast=repr(broadcast_id)), lang),
        )
    if not request.clusters:
        if not view.cancel(broadcast_id, by=who.name, reason=request.reason):
            raise HTTPException(
                status.HTTP_409_CONFLICT,
                say(_("broadcast {broadcast} has already ended or was cancelled; nothing to "
                      "stop").format(broadcast=repr(broadcast_id)), lang),
            )
        return StopResult(
            broadcast_id=broadcast_id, stopped=[],
            message=say(_("cancelled; every cluster sent `stop`"), lang),
        )
    try:
        stopped = announcer.stop(broadcast_id, request.clusters, by=who.name, reason=request.reason)
    except StopRefused as refused:
        raise HTTPException(refused.status, said_error(refused, lang)) from refused
    return StopResult(
        broadcast_id=broadcast_id,
        stopped=stopped,
        message=say(ngettext("stopped on {n} cluster; the others play on",
                             "stopped on {n} clusters; the others play on", len(stopped)), lang),
    )
