"""`GET /status`: every commune summed up (problems first), or one commune's clusters.

The answer is kept as JSON bytes and built again only when what it shows changed
(`api.status_cache`); the response model documents it and is not built per request."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, Response
from starlette.concurrency import run_in_threadpool

from broadcastd.api.deps import ContextDep, LangDep, ViewDep
from broadcastd.api.models import ErrorBody, Status
from broadcastd.api.status_cache import StatusAnswers, respond
from broadcastd.i18n import say

router = APIRouter(tags=["status"])

MAX_LIMIT = 1000


def get_answers(context: ContextDep) -> StatusAnswers:
    assert context.status is not None, "create_app makes the /status answers"
    return context.status


@router.get(
    "/status",
    summary="Communes: clusters online, last broadcast and its outcomes; one commune's clusters",
    response_model=Status,
    responses={404: {"model": ErrorBody, "description": "No such commune in the timetables."}},
)
async def get_status(
    answers: Annotated[StatusAnswers, Depends(get_answers)],
    view: ViewDep,
    lang: LangDep,
    commune: Annotated[
        str | None,
        Query(description="This commune with its clusters (paged); without it, every "
              "commune summed up without its clusters."),
    ] = None,
    page: Annotated[int, Query(ge=1, description="Page of the commune's clusters, from 1.")] = 1,
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="Clusters per page.")
    ] = 200,
) -> Response:
    """Every commune of the loaded timetables: clusters online of all, its latest
    broadcast with the clusters' states and outcomes, and how many clusters need a
    look (communes with any first); refused messages by reason, and what is wrong (a
    rejected timetable change lists every error here and in /healthz). With
    `?commune=`, that commune's clusters too (including those that never reported,
    shown offline), `limit` at a time."""
    topology = view.topology()
    if commune is not None and all(known.commune != commune for known in topology):
        raise HTTPException(404, f"no commune {commune!r} in the timetables")
    key = answers.key(commune, page, limit)
    # Kept: answered on the event loop at once. Else built on a worker thread (reads).
    built = answers.cached(key, topology)
    if built is None:
        built = await run_in_threadpool(answers.build, key, topology)
    problems = [say(problem, lang) for problem in view.health().problems]
    return Response(respond(built, problems), media_type="application/json")
