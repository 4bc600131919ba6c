"""The console's cluster page (`/cluster/{commune}/{cluster}`): online now and since when,
its comings and goings, firmware, volume, area, and its last broadcasts with their
outcomes, each a link to the broadcast's page. Any signed-in user may read it.

The data come from the same store queries and `api.present` functions as /status and
/broadcasts (outcomes from `Store.outcomes`, never worked out again here).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from broadcastd.api import present
from broadcastd.api.deps import ContextDep, Topology
from broadcastd.console.cluster_model import cluster_page as build_page
from broadcastd.console.render import page_lang, render, signed_in, to_sign_in
from broadcastd.console.words import words

router = APIRouter(include_in_schema=False)

LAST_BROADCASTS = 30
HISTORY = 50
"""How many comings and goings the page lists (newest first)."""


@router.get("/cluster/{commune}/{cluster}", response_class=HTMLResponse)
def cluster_page(request: Request, commune: str, cluster: str, context: ContextDep) -> Response:
    session = signed_in(request, context)
    if session is None:
        return to_sign_in(request)
    topology = Topology(context.view.topology())
    moment = context.now()
    lang = page_lang(request)
    known = topology.commune(commune)
    if known is None or topology.area_of(commune, cluster) is None:
        return render(request, "not_found.html", session, topology, moment, 404,
                       what=f"{commune}/{cluster}", message=words(lang)["no_cluster"])
    store = context.store
    status = present.commune_status(known, store.presences(commune), {}, topology)
    mine = next(c for c in status.clusters or [] if c.cluster == cluster)
    found = store.cluster_deliveries(commune, cluster, LAST_BROADCASTS)
    views = [view for view, _ in found]
    outcomes = store.outcomes(views, moment)
    broadcasts = [
        present.broadcast(view, {cluster: delivery}, topology, moment,
                          outcomes[view.broadcast_id])
        for view, delivery in found
    ]
    page = build_page(known, mine, store.presence_history(commune, cluster, HISTORY),
                      broadcasts, topology.zone(commune), words(lang), lang)
    return render(request, "cluster.html", session, topology, moment, page=page)
