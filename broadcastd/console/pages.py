"""The console's pages: Today (`/`, and its live fragment) and one broadcast.

Each page needs a signed-in user (else to /login?next=...). The data come from the same
store queries and `api.present` functions the API's /broadcasts and /status use; the
stop form goes through the same `stop_on` as POST /broadcasts/{id}/stop (the
ChangesNeedAnOperator middleware has already checked the operator role and the CSRF
token before the form reaches it).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from broadcastd.access import Role
from broadcastd.announce.model import StopRequest
from broadcastd.api import present
from broadcastd.api.auth import Principal, require
from broadcastd.api.deps import ApiContext, ContextDep, Topology
from broadcastd.api.routes.announcements import AnnouncerDep, stop_on
from broadcastd.console import model
from broadcastd.console.auth import templates
from broadcastd.console.render import local_time, page_lang, render, signed_in, to_sign_in
from broadcastd.console.words import Lang, legend, words
from broadcastd.i18n import say

router = APIRouter(include_in_schema=False)

TODAY_FRAGMENT = "/console/today"
REFRESH_S = 5
"""How often the Today page asks for its fragment again."""


def _today(context: ApiContext, topology: Topology, lang: Lang) -> dict[str, Any]:
    """Per commune, today's broadcasts (its own local date) against its clusters."""
    store, moment = context.store, context.now()
    upcoming = context.view.upcoming(24)
    days: list[model.CommuneDay] = []
    for commune in topology.communes:
        day = moment.astimezone(topology.zone(commune.commune)).date()
        views = store.list_broadcasts(commune=commune.commune, local_date=day, limit=1000)
        deliveries = store.deliveries_of([v.broadcast_id for v in views])
        outcomes = store.outcomes(views, moment)
        planned = [
            model.planned_from_store(
                present.broadcast(v, deliveries.get(v.broadcast_id, {}), topology, moment,
                                  outcomes[v.broadcast_id]),
                lang,
            )
            for v in views
        ]
        recorded = {v.broadcast_id for v in views}
        planned += [
            model.planned_from_timetable(o, lang)
            for o in upcoming
            if o.commune == commune.commune and o.start.date() == day
            and o.broadcast_id not in recorded
        ]
        status_now = present.commune_status(
            commune, store.presences(commune.commune), {}, topology
        )
        days.append(model.commune_day(commune, status_now, day, planned))
    return {
        "days": days,
        "problems": [say(problem, lang) for problem in context.view.health().problems],
        "updated": f"{local_time(moment, topology):{model.STAMP}}",
    }


@router.get("/", response_class=HTMLResponse)
def today_page(request: Request, context: ContextDep) -> Response:
    session = signed_in(request, context)
    if session is None:
        return to_sign_in(request)
    topology = Topology(context.view.topology())
    return render(request, "today.html", session, topology, context.now(),
                   fragment=TODAY_FRAGMENT, refresh_ms=REFRESH_S * 1000,
                   legend=legend(page_lang(request)),
                   **_today(context, topology, page_lang(request)))


@router.get(TODAY_FRAGMENT, response_class=HTMLResponse)
def today_fragment(request: Request, context: ContextDep) -> Response:
    """The Today page's content alone, for its script to swap in; 401 once signed out
    (the script then reloads, and the page leads to sign-in)."""
    session = signed_in(request, context)
    if session is None:
        return Response("signed out", status.HTTP_401_UNAUTHORIZED)
    topology = Topology(context.view.topology())
    lang = page_lang(request)
    response = templates.TemplateResponse(
        request, "_today.html",
        {"w": words(lang), "lang": lang, **_today(context, topology, lang)},
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@router.post("/broadcast/{broadcast_id:path}/stop")
def stop_form(
    request: Request,
    broadcast_id: str,
    context: ContextDep,
    who: Annotated[Principal, Depends(require(Role.OPERATOR))],
    announcer: AnnouncerDep,
    scope: Annotated[str, Form()] = "all",
    clusters: Annotated[list[str] | None, Form()] = None,
    reason: Annotated[str, Form()] = "",
) -> Response:
    """The broadcast page's stop form: every cluster, or the ones ticked; then back to
    the page, which shows the result (or the refusal's message)."""
    chosen = clusters if scope == "chosen" else None
    try:
        asked = StopRequest(clusters=chosen, reason=reason.strip() or None)
        stop_on(broadcast_id, asked, who, context.store, context.view, announcer,
                lang=page_lang(request))
    except ValidationError:
        return _back(broadcast_id, "choose at least one cluster (or stop on every one)")
    except HTTPException as refused:
        return _back(broadcast_id, str(refused.detail))
    return _back(broadcast_id, None)


def _back(broadcast_id: str, problem: str | None) -> RedirectResponse:
    query = f"?problem={quote(problem)}" if problem else "?stopped=1"
    return RedirectResponse(f"/broadcast/{broadcast_id}{query}", status.HTTP_303_SEE_OTHER)


@router.get("/broadcast/{broadcast_id:path}", response_class=HTMLResponse)
def broadcast_page(request: Request, broadcast_id: str, context: ContextDep) -> Response:
    session = signed_in(request, context)
    if session is None:
        return to_sign_in(request)
    topology = Topology(context.view.topology())
    lang = page_lang(request)
    store = context.store
    found = store.broadcast(broadcast_id)
    if found is None:
        return render(request, "missing.html", session, topology, context.now(), 404,
                       broadcast_id=broadcast_id)
    moment: datetime = context.now()
    summary = present.broadcast(found, store.delivery_states(broadcast_id), topology, moment,
                                store.outcomes([found], moment)[broadcast_id])
    detail = present.broadcast_detail(summary, store.ack_events(broadcast_id),
                                      store.changes(broadcast_id), topology)
    playlist = next((list(o.items) for o in context.view.upcoming(24)
                     if o.broadcast_id == broadcast_id), [])
    page = model.broadcast_page(detail, words(lang), lang, moment, playlist)
    return render(
        request, "broadcast.html", session, topology, moment, page=page,
        operator=Role(session.role).allows(Role.OPERATOR),
        stopped=request.query_params.get("stopped") == "1",
        problem=request.query_params.get("problem"),
    )
