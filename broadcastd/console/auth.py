"""Sign-in and sign-out: GET/POST /login, POST /logout.

These two routes check what they need themselves (ChangesNeedAnOperator lets them
through, see SELF_CHECKED): /login has no session yet, so its guard against
cross-site posts is the Origin header and the SameSite cookie; /logout needs the
session's CSRF token. Failures are logged with the user name tried and the client
address, never the password or the session id.
"""

from __future__ import annotations

import math
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any
from urllib.parse import urlsplit

import structlog
from fastapi import APIRouter, Form, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates

from broadcastd.access.passwords import (
    dummy_hash,
    hash_password,
    needs_rehash,
    verify_password,
)
from broadcastd.api.deps import ApiContext, ContextDep
from broadcastd.console.limits import keys_of
from broadcastd.console.sessions import COOKIE, SessionPolicy, csrf_matches, csrf_of
from broadcastd.store import StoreWriteFailed
from broadcastd.store.users import Credentials, credentials_of, rehash_password
from broadcastd.store.writer import WriteOp

log = structlog.get_logger(__name__)

HERE = Path(__file__).parent
STATIC = HERE / "static"
STATIC_PATH = "/console/static"
templates = Jinja2Templates(directory=HERE / "templates")

SELF_CHECKED = frozenset({"/login", "/logout"})
"""Changing routes that check the caller themselves (see the module's docstring)."""

AFTER_SIGN_IN = "/"
"""Where sign-in leads without a `next`: the Today page."""

WRONG = "Tên đăng nhập hoặc mật khẩu không đúng."
TOO_MANY = "Đăng nhập sai quá nhiều lần. Hãy thử lại sau {minutes} phút."
NOT_KEPT = "Máy chủ không ghi được phiên đăng nhập (lỗi cơ sở dữ liệu). Hãy thử lại sau."
CROSS_SITE = "Biểu mẫu này phải được gửi từ chính trang của máy chủ."

router = APIRouter(include_in_schema=False)


def _page(request: Request, code: int = 200, **values: Any) -> HTMLResponse:
    """The sign-in page; never cached (it may hold the session's CSRF token)."""
    response = templates.TemplateResponse(
        request, "login.html", {"static": STATIC_PATH, **values}, status_code=code
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _context(request: Request) -> ApiContext:
    context = request.app.state.broadcastd
    assert isinstance(context, ApiContext)
    return context


def next_page(asked: str | None) -> str:
    """Where to go after sign-in: `asked` if it is a path on this server (never another
    site: `//host` and `/\\host` are refused), else the Today page."""
    if not asked or not asked.startswith("/") or asked.startswith(("//", "/\\")):
        return AFTER_SIGN_IN
    parts = urlsplit(asked)
    if parts.scheme or parts.netloc:
        return AFTER_SIGN_IN
    return asked


@router.get("/login", response_class=HTMLResponse)
def sign_in_page(request: Request, context: ContextDep, next: str | None = None) -> HTMLResponse:
    """The form; for a signed-in user, who they are and the sign-out button."""
    session = context.sessions.find(request.cookies.get(COOKIE)) if context.sessions else None
    return _page(request, user=session.user if session else None,
                 csrf=session.csrf if session else None, next=next_page(next))


def _same_origin(request: Request) -> bool:
    """No Origin header (old browsers, scripts) or one naming this server's host (the
    port is not compared: a proxy's `Host` often leaves it out)."""
    origin = request.headers.get("origin")
    if origin is None:
        return True
    host = urlsplit(f"//{request.headers.get('host', '')}").hostname
    return host is not None and urlsplit(origin).hostname == host


@router.post("/login")
def sign_in(
    request: Request,
    context: ContextDep,
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = AFTER_SIGN_IN,
) -> Response:
    sessions = context.sessions
    assert sessions is not None
    client = request.client.host if request.client else None
    if not _same_origin(request):
        log.warning("sign-in refused", why="cross-site form", user=name, client=client,
                    origin=request.headers.get("origin"))
        return _page(request, status.HTTP_403_FORBIDDEN, error=CROSS_SITE, name=name,
                     next=next_page(next))
    keys = keys_of(name, client)
    now = context.now()
    wait = context.sign_ins.attempt(keys, now)
    if wait is not None:
        log.warning("sign-in refused", why="too many failures", user=name, client=client)
        return _too_many(request, name, wait)
    found = context.store.read(lambda conn: credentials_of(conn, name))
    # An unknown name costs the same hash as a wrong password: timing tells nothing.
    if not verify_password(found.password_hash if found else dummy_hash(), password) or not found:
        log.warning("sign-in refused", why="unknown user" if found is None else "wrong password",
                    user=name, client=client)
        return _page(request, status.HTTP_401_UNAUTHORIZED, error=WRONG, name=name,
                     next=next_page(next))
    context.sign_ins.succeeded(keys, now)
    try:
        _rehash_if_old(context, found, password)
        previous = request.cookies.get(COOKIE)
        if previous:  # signing in again replaces the session this browser had
            sessions.end(previous)
        session_id, _ = sessions.start(found.name)
    except StoreWriteFailed:
        log.error("sign-in failed", why="database not writable", user=found.name)
        return _page(request, status.HTTP_503_SERVICE_UNAVAILABLE, error=NOT_KEPT, name=name,
                     next=next_page(next))
    log.info("signed in", user=found.name, role=found.role, client=client)
    response = RedirectResponse(next_page(next), status.HTTP_303_SEE_OTHER)
    _set_cookie(response, session_id, sessions.policy)
    return response


def _too_many(request: Request, name: str, wait: timedelta) -> HTMLResponse:
    seconds = max(1, math.ceil(wait.total_seconds()))
    response = _page(request, status.HTTP_429_TOO_MANY_REQUESTS,
                     error=TOO_MANY.format(minutes=math.ceil(seconds / 60)), name=name)
    response.headers["Retry-After"] = str(seconds)
    return response


def _rehash_if_old(context: ApiContext, found: Credentials, password: str) -> None:
    if needs_rehash(found.password_hash):
        fresh = hash_password(password)
        context.store.commit(
            WriteOp("user rehash", lambda conn: rehash_password(conn, found.name, fresh))
        )


def _set_cookie(response: Response, session_id: str, policy: SessionPolicy) -> None:
    """HttpOnly (no script reads it), SameSite=Strict (no other site's page sends it),
    Secure over HTTPS; no Max-Age, so closing the browser ends it too."""
    response.set_cookie(
        COOKIE, session_id, path="/", httponly=True, samesite="strict",
        secure=policy.secure_cookie,
    )


@router.post("/logout")
async def sign_out(request: Request) -> Response:
    """Ends the session named by the cookie, if its CSRF token comes with it (else 403:
    another site's page could sign people out)."""
    context = _context(request)
    sessions = context.sessions
    assert sessions is not None
    session_id = request.cookies.get(COOKIE)
    session = await run_in_threadpool(sessions.find, session_id)
    if session is not None and session_id is not None:
        if not csrf_matches(session, await csrf_of(request)):
            log.warning("http request refused", status=403, why="no csrf token",
                        method="POST", path="/logout", user=session.user)
            return Response("missing or wrong CSRF token; reload the page and try again",
                            status.HTTP_403_FORBIDDEN)
        try:
            await run_in_threadpool(sessions.end, session_id)
        except StoreWriteFailed:
            log.error("sign-out failed", why="database not writable", user=session.user)
            return Response("the session could not be ended (database error); try again",
                            status.HTTP_503_SERVICE_UNAVAILABLE)
        log.info("signed out", user=session.user)
    response = RedirectResponse("/login", status.HTTP_303_SEE_OTHER)
    response.delete_cookie(COOKIE, path="/", httponly=True, samesite="strict",
                           secure=sessions.policy.secure_cookie)
    return response
