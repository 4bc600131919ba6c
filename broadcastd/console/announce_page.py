"""The Announce page (Phát ngay): the form, its confirmation, then the announcement.

GET /announce shows the form to an operator (a viewer gets a page saying the role is
needed). POST /announce reads the form into the announce package's
`AnnouncementRequest` and asks the daemon's `AnnounceDesk.preview` what it would make
of it, shown for confirmation; POST /announce/send makes the announcement with
`AnnounceDesk.announce`, the call `POST /announcements` makes, then leads to the
broadcast's page; POST /announce/edit goes back to the form as it was filled. Refusals
come back on the form, in the operator's language. Every POST has passed the
ChangesNeedAnOperator middleware (operator role, session's CSRF token) first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from broadcastd.access import Role
from broadcastd.announce.model import AnnouncementRequest
from broadcastd.announce.plan import AnnouncementRefused
from broadcastd.announce.service import AnnounceDesk
from broadcastd.api.auth import Principal, require
from broadcastd.api.deps import ApiContext, ContextDep, Topology
from broadcastd.api.routes.announcements import get_announcer
from broadcastd.console.announce_form import (
    AnnounceForm,
    FormRefused,
    Problem,
    confirmation,
    form_page,
    refusal_problem,
    to_request,
)
from broadcastd.console.render import page_lang, render, signed_in, to_sign_in
from broadcastd.console.words import words
from broadcastd.planning.occurrences import Occurrence
from broadcastd.speech import MAX_TEXT_CHARS
from broadcastd.store import StoreWriteFailed
from broadcastd.store.users import SessionView

router = APIRouter(include_in_schema=False)

PAGE = "/announce"
Operator = Annotated[Principal, Depends(require(Role.OPERATOR))]


async def posted_form(request: Request) -> AnnounceForm:
    data = await request.form()
    return AnnounceForm.from_pairs(
        (name, value) for name, value in data.multi_items() if isinstance(value, str)
    )


PostedForm = Annotated[AnnounceForm, Depends(posted_form)]


def _desk(request: Request) -> AnnounceDesk | None:
    try:
        return get_announcer(request)
    except HTTPException:  # still starting: the page says so
        return None


@router.get(PAGE, response_class=HTMLResponse)
def announce_form(request: Request, context: ContextDep, commune: str = "") -> Response:
    session = signed_in(request, context)
    if session is None:
        return to_sign_in(request)
    if not Role(session.role).allows(Role.OPERATOR):
        topology = Topology(context.view.topology())
        return render(request, "announce_denied.html", session, topology, context.now(),
                       status.HTTP_403_FORBIDDEN)
    return _form(request, context, session, AnnounceForm(commune=commune))


@router.post(f"{PAGE}/edit", response_class=HTMLResponse)
def edit_again(
    request: Request, context: ContextDep, who: Operator, form: PostedForm
) -> Response:
    """The confirmation's *Sửa lại*: the form, filled as it was."""
    session = signed_in(request, context)
    if session is None:
        return to_sign_in(request)
    return _form(request, context, session, form)


@router.post(PAGE, response_class=HTMLResponse)
def review(request: Request, context: ContextDep, who: Operator, form: PostedForm) -> Response:
    """The confirmation: who will hear what and when, as the daemon would send it now."""
    planned = _through_desk(request, context, form, lambda desk, asked: desk.preview(asked))
    if not isinstance(planned, Occurrence):
        return planned
    session, topology = signed_in(request, context), Topology(context.view.topology())
    commune = topology.commune(planned.commune)
    desk = _desk(request)
    assert session is not None and commune is not None and desk is not None  # as just used
    now = context.now()
    page = confirmation(form, planned, commune, {e.name: e for e in desk.library()},
                        now.astimezone(topology.zone(commune.commune)), words(page_lang(request)))
    return render(request, "announce_confirm.html", session, topology, now, page=page)


@router.post(f"{PAGE}/send")
def send(request: Request, context: ContextDep, who: Operator, form: PostedForm) -> Response:
    """The confirmation's *Xác nhận phát*: announced as POST /announcements announces,
    then the broadcast's page; a refusal (the start passed meanwhile...) on the form."""
    sent = _through_desk(request, context, form,
                         lambda desk, asked: desk.announce(asked, by=who.name))
    if not isinstance(sent, Occurrence):
        return sent
    # The broadcast's page reads its record from the store, which the store's writer
    # commits a moment after `announce` returns: wait for that (a few ms), not a 404.
    context.store.flush(timeout=5.0)
    return RedirectResponse(f"/broadcast/{sent.broadcast_id}", status.HTTP_303_SEE_OTHER)


def _through_desk(
    request: Request,
    context: ApiContext,
    form: AnnounceForm,
    act: Callable[[AnnounceDesk, AnnouncementRequest], Occurrence],
) -> Occurrence | Response:
    """`act` (the desk's preview or announce) on the form's request; else the response
    to give instead: sign-in, or the form with the refusal in the operator's words."""
    session = signed_in(request, context)
    if session is None:
        return to_sign_in(request)
    zone = Topology(context.view.topology()).zone(form.commune)
    w = words(page_lang(request))
    desk = _desk(request)
    if desk is None:
        return _form(request, context, session, form)
    try:
        return act(desk, to_request(form, zone, w))
    except FormRefused as refused:
        return _form(request, context, session, form, refused.problems)
    except AnnouncementRefused as refused:
        return _form(request, context, session, form, [refusal_problem(refused, w)])
    except StoreWriteFailed:
        problem = Problem("", w["announce.not_kept"], w["announce.not_kept_fix"])
        return _form(request, context, session, form, [problem], status.HTTP_503_SERVICE_UNAVAILABLE)


def _form(
    request: Request,
    context: ApiContext,
    session: SessionView,
    form: AnnounceForm,
    problems: Sequence[Problem] = (),
    code: int | None = None,
) -> Response:
    """The form filled as `form`, with `problems` above it (422 when there are some;
    503 while the daemon cannot announce yet)."""
    topology = Topology(context.view.topology())
    w = words(page_lang(request))
    desk = _desk(request)
    if desk is None:
        problems = [*problems, Problem("", w["announce.not_started"], w["announce.not_started_fix"])]
        code = status.HTTP_503_SERVICE_UNAVAILABLE
    elif code is None:
        code = status.HTTP_422_UNPROCESSABLE_CONTENT if problems else status.HTTP_200_OK
    library = desk.library() if desk is not None else []
    page = form_page(form, topology.communes, library, w, problems)
    return render(request, "announce.html", session, topology, context.now(), code, page=page,
                   text_limit=MAX_TEXT_CHARS,
                   text_hint=w["announce.text_hint"].format(limit=w["announce.text_limit"]))
