"""The console's timetable page (`/timetable`, `?commune=`): the next seven days of each
commune as the daemon plans them, with the dated exceptions, and at the top every problem
`validate` finds in the timetable files. Any signed-in user may read it.

The occurrences are the daemon's own plan (`view.upcoming`, what GET /schedule lists,
cancellations from the same `Store.cancelled_occurrences`); nothing is planned again.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from broadcastd.api.deps import ContextDep, Topology
from broadcastd.console.render import page_lang, render, signed_in, to_sign_in
from broadcastd.console.timetable_model import HOURS
from broadcastd.console.timetable_model import timetable_page as build_page
from broadcastd.console.words import words
from broadcastd.i18n import say

router = APIRouter(include_in_schema=False)


@router.get("/timetable", response_class=HTMLResponse)
def timetable_page(request: Request, context: ContextDep, commune: str = "") -> Response:
    session = signed_in(request, context)
    if session is None:
        return to_sign_in(request)
    view, moment, lang = context.view, context.now(), page_lang(request)
    topology = Topology(view.topology())
    unknown = bool(commune) and topology.commune(commune) is None
    if unknown:  # every commune instead, and the list to choose from, under the refusal
        commune = ""
    upcoming = view.upcoming(HOURS)
    cancelled = context.store.cancelled_occurrences([o.broadcast_id for o in upcoming])
    page = build_page(topology.communes, commune, upcoming, cancelled,
                      view.day_changes(HOURS),
                      [say(problem, lang) for problem in view.health().timetable_problems], moment,
                      words(lang))
    return render(request, "timetable.html", session, topology, moment,
                   404 if unknown else 200, page=page,
                   problem=words(lang)["no_commune"] if unknown else None)
