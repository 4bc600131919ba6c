"""The Reports page (`/reports`): plan vs actual over a range of days, per cluster and
per day, with the same selection's CSV and XLSX downloads and a print view for a PDF.

The query is checked by `reports.check_query` and the report made by
`reports.build_report`, as for GET /reports/deliveries.*: the page and the files can
never disagree. A query that cannot be answered is said on the page, in the page's
language, with the form as it was sent.
"""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from broadcastd.api.deps import ContextDep, Topology
from broadcastd.console import report_view
from broadcastd.console.render import local_time, page_lang, render, signed_in, to_sign_in
from broadcastd.console.words import words
from broadcastd.reports import ReportRefused, build_report, check_query

router = APIRouter(include_in_schema=False)

PAGE = "/reports"


@router.get(PAGE, response_class=HTMLResponse)
def reports_page(request: Request, context: ContextDep) -> Response:
    """The form and, below it, the report it asks for (this month so far when opened
    without dates); `print=1`: the same report alone, laid out for A4."""
    session = signed_in(request, context)
    if session is None:
        return to_sign_in(request)
    topology = Topology(context.view.topology())
    lang, now = page_lang(request), context.now()
    asked = request.query_params
    commune, area = asked.get("commune", _first_choice(topology)), asked.get("area", "")
    first, last = report_view.month_so_far(_commune_time(topology, commune, now).date())
    first_text, last_text = asked.get("from", first.isoformat()), asked.get("to", last.isoformat())
    form = report_view.report_form(topology.communes, first_text, last_text, commune, area)
    try:
        query = check_query(first_text, last_text, commune, area, topology.communes)
    except ReportRefused as refused:
        return render(request, "reports.html", session, topology, now, 422, form=form,
                       report=None, problem=refused.text(lang))
    report = build_report(context.store, topology.communes, query, now, ack_times=False)
    page = report_view.report_page(report, topology.communes, words(lang), lang,
                                   _commune_time(topology, commune, now))
    template = "report_print.html" if asked.get("print") == "1" else "reports.html"
    return render(request, template, session, topology, now, form=form, report=page,
                   problem=None)


def _first_choice(topology: Topology) -> str:
    """The commune a page opened without one shows: every commune of a commune's own
    server (one or a few), the first of a district's many (all of them at once is a
    longer wait, chosen on purpose: benchmarks.md)."""
    communes = topology.communes
    return communes[0].commune if len(communes) > report_view.NAMED else ""


def _commune_time(topology: Topology, commune: str, now: datetime) -> datetime:
    """`now` by the chosen commune's clock (the first commune's when none is): its
    calendar is the one its officials count the month by."""
    if topology.commune(commune) is not None:
        return now.astimezone(topology.zone(commune))
    return local_time(now, topology)
