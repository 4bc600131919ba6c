"""What every console page shares: who is signed in (else to sign-in, and back), the
page's language, and the base layout the templates extend.

One place, so each page module (Today, a broadcast, a cluster, the timetable, the
library, announce, reports) renders the same header, nav and CSRF token.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from fastapi import Request, status
from fastapi.responses import HTMLResponse, RedirectResponse

from broadcastd.access import Role
from broadcastd.api.deps import ApiContext, Topology
from broadcastd.console.auth import STATIC_PATH, templates
from broadcastd.console.sessions import COOKIE
from broadcastd.console.words import LANG_COOKIE, Lang, lang_of, words
from broadcastd.store.users import SessionView


def signed_in(request: Request, context: ApiContext) -> SessionView | None:
    sessions = context.sessions
    return sessions.find(request.cookies.get(COOKIE)) if sessions else None


def to_sign_in(request: Request) -> RedirectResponse:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"/login?next={quote(target, safe='/')}", status.HTTP_303_SEE_OTHER)


def page_lang(request: Request) -> Lang:
    return lang_of(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))


def render(
    request: Request, template: str, session: SessionView, topology: Topology,
    now: datetime, code: int = 200, **values: Any,
) -> HTMLResponse:
    """A page in the base layout; `?lang=` is remembered in a cookie."""
    lang = page_lang(request)
    names = [commune.name for commune in topology.communes]
    response = templates.TemplateResponse(
        request,
        template,
        {
            "static": STATIC_PATH,
            "lang": lang,
            "other_lang": "en" if lang == "vi" else "vi",
            "w": words(lang),
            "radio": ", ".join(names) if names else words(lang)["app"],
            "user": session.user,
            "role": words(lang)[f"roles.{session.role}"],
            "csrf": session.csrf,
            "here": request.url.path,
            "month_report": _month_report(topology, now, lang),
            "can_announce": Role(session.role).allows(Role.OPERATOR),  # the nav's Phát ngay
            **values,
        },
        status_code=code,
    )
    response.headers["Cache-Control"] = "no-store"  # holds the session's CSRF token
    if request.query_params.get("lang") == lang:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 86400, path="/", samesite="lax")
    return response


def _month_report(topology: Topology, now: datetime, lang: Lang) -> str:
    """The query of this month's report so far (the nav's *Báo cáo* link), in the first
    commune's local date."""
    today = local_time(now, topology).date()
    return f"from={today.replace(day=1).isoformat()}&to={today.isoformat()}&lang={lang}"


def local_time(moment: datetime, topology: Topology) -> datetime:
    """The time in the (first) commune's zone: what its officials' clocks say."""
    first = topology.communes[0].commune if topology.communes else ""
    return moment.astimezone(topology.zone(first))
