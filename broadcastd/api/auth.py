"""Who is calling: bearer tokens checked against the store, and the role each route needs.

A route states what it needs by declaring a dependency, e.g.
`who: Annotated[Principal, Depends(require(Role.OPERATOR))]`; reading routers get
`require(Role.VIEWER)` from `create_app`. tests/api/test_access.py walks the OpenAPI
schema: any operation that changes something (a method other than GET and HEAD) without
an operator guard, or a reading one that is neither guarded nor open, fails it. Under
the guards, `ChangesNeedAnOperator` refuses any such request without an operator token
before routing, so a forgotten guard fails closed.

A token is read only from the `Authorization: Bearer` header, never a query parameter.
A web page on another origin cannot set that header on a plain form or link, and
without a permissive CORS policy (there is none) its scripts cannot either, so a token
request needs nothing more. Without a token, the console's session cookie is read
(`console.sessions`): a browser sends it wherever the request came from, so every
changing request with a session must also carry the session's CSRF token (form field
`csrf` or header `X-CSRF-Token`), which another site's page cannot know.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any

import structlog
from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from broadcastd.access import Role, token_digest
from broadcastd.api.deps import ApiContext, ContextDep
from broadcastd.console.auth import SELF_CHECKED
from broadcastd.console.form_stream import is_multipart, leading_fields
from broadcastd.console.sessions import (
    COOKIE,
    CSRF_FIELD,
    CSRF_HEADER,
    LEADING_CSRF,
    csrf_matches,
    csrf_of,
)
from broadcastd.store.users import SessionView

log = structlog.get_logger(__name__)

ANONYMOUS = "anonymous"
READ_METHODS = frozenset({"GET", "HEAD"})

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="token",
    description="An API token from `broadcastd token create --name NAME --role ROLE`, "
    "sent as `Authorization: Bearer TOKEN`.",
)
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]


@dataclass(frozen=True)
class Principal:
    """Who made a request: a token's or a signed-in user's name and role, or `anonymous`
    (reading only)."""

    name: str
    role: Role | None


def _refuse(
    request: Request, code: int, why: str, detail: str, **fields: Any
) -> HTTPException:
    """Log the refusal (never the token) and build the answer with `detail` for people."""
    log.warning(
        "http request refused",
        status=code,
        why=why,
        method=request.method,
        path=request.url.path,
        client=request.client.host if request.client else None,
        **fields,
    )
    headers = {"WWW-Authenticate": "Bearer"} if code == status.HTTP_401_UNAUTHORIZED else None
    return HTTPException(code, detail, headers=headers)


def authorize(
    request: Request,
    context: ApiContext,
    token_text: str | None,
    needed: Role,
    csrf: str | None = None,
) -> Principal:
    """Who sent `token_text` (the bearer credentials, or None), or else the session
    cookie (with `csrf`, the CSRF token the request carries), if allowed to do what
    needs `needed`; else the HTTPException to answer with (401 or 403), logged."""
    if token_text is None:
        session = (
            context.sessions.find(request.cookies.get(COOKIE)) if context.sessions else None
        )
        if session is not None:
            return _session_principal(request, session, needed, csrf)
        if needed is Role.VIEWER and context.anonymous_read:
            return Principal(ANONYMOUS, None)
        raise _refuse(
            request,
            status.HTTP_401_UNAUTHORIZED,
            "no token",
            f"this needs an API token with role {needed.value} or above, sent as "
            "`Authorization: Bearer TOKEN`; an administrator makes one with "
            f"`broadcastd token create --name NAME --role {needed.value}`",
        )
    # Looked up by digest: timing can only tell an attacker about the digest.
    token = context.store.token_by_digest(token_digest(token_text))
    if token is None:
        raise _refuse(
            request,
            status.HTTP_401_UNAUTHORIZED,
            "unknown token",
            "unknown or revoked API token; ask an administrator for a new one "
            "(`broadcastd token list` shows the valid ones)",
        )
    role = Role(token.role)
    if not role.allows(needed):
        raise _refuse(
            request,
            status.HTTP_403_FORBIDDEN,
            "role too small",
            f"token {token.name!r} has role {role.value}; this needs {needed.value} or above",
            token=token.name,
            role=role.value,
            needed=needed.value,
        )
    if context.token_use.due(token.name):
        context.store.record_token_used(token.name, context.now())
    return Principal(token.name, role)


def _session_principal(
    request: Request, session: SessionView, needed: Role, csrf: str | None
) -> Principal:
    """The signed-in user, if their role allows `needed` and, for a change, the request
    carries the session's CSRF token; else 403, logged with the user's name."""
    role = Role(session.role)
    if not role.allows(needed):
        raise _refuse(
            request,
            status.HTTP_403_FORBIDDEN,
            "role too small",
            f"user {session.user!r} has role {role.value}; this needs {needed.value} or above",
            user=session.user,
            role=role.value,
            needed=needed.value,
        )
    if request.method not in READ_METHODS and not csrf_matches(session, csrf):
        raise _refuse(
            request,
            status.HTTP_403_FORBIDDEN,
            "no csrf token",
            "a change made with a signed-in session needs its CSRF token (form field "
            "`csrf` or header `X-CSRF-Token`); reload the page and try again",
            user=session.user,
        )
    return Principal(session.user, role)


@cache
def require(needed: Role) -> Callable[..., Awaitable[Principal]]:
    """The dependency that lets through a token whose role allows `needed`.

    No token, or one that is unknown (or revoked): 401. A token whose role is too small:
    403, logged with the token's name. Without a token, a live console session is taken
    the same way (its user's role); a change with it also needs its CSRF token (403
    without). With `http.anonymous_read`, a request with neither may read (`needed` is
    viewer). Cached, so the same role is one dependency wherever it is declared.
    """

    async def guard(request: Request, context: ContextDep, credentials: BearerDep) -> Principal:
        token = credentials.credentials if credentials else None
        csrf = None
        if token is None and request.method not in READ_METHODS:
            csrf = await csrf_of(request)
        return await run_in_threadpool(authorize, request, context, token, needed, csrf)

    return guard


class ChangesNeedAnOperator:
    """ASGI middleware, the net under the route guards: a request with any method but
    GET or HEAD needs an operator token (or better) before it reaches any route, so a
    route added without `require(...)` (or hidden from the schema) still cannot be used
    anonymously. Routes that need more (admin) say so with their own guard. With a
    session cookie instead of a token, the CSRF token is checked here too (a form's
    body is read for it, then handed on unchanged; of a multipart form, an upload, only
    the fields ahead of the file are read, so its hidden `csrf` input must come first). /login and /logout check the
    caller themselves (`console.auth.SELF_CHECKED`)."""

    def __init__(self, app: ASGIApp, context: ApiContext) -> None:
        self.app = app
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] in READ_METHODS
            or scope["path"] in SELF_CHECKED
        ):
            await self.app(scope, receive, send)
            return
        request = Request(scope, receive)
        token = _bearer_of(request)
        csrf = None
        if token is None and COOKIE in request.cookies:
            csrf = request.headers.get(CSRF_HEADER)
            if csrf is None and is_multipart(request.headers.get("content-type")):
                # An upload: only the fields ahead of the file are read, never the file.
                fields, receive = await leading_fields(request.headers["content-type"], receive)
                csrf = fields.get(CSRF_FIELD)
                scope.setdefault("state", {})[LEADING_CSRF] = csrf
            elif csrf is None:  # then perhaps a form's field: read the body, hand it on
                body = await request.body()  # kept on `request`: the form is parsed from it
                csrf = await csrf_of(request)
                receive = _replay(body, receive)
        try:
            await run_in_threadpool(
                authorize, request, self.context, token, Role.OPERATOR, csrf
            )
        except HTTPException as refusal:
            answer = JSONResponse(
                {"detail": refusal.detail}, refusal.status_code, headers=refusal.headers
            )
            await answer(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _replay(body: bytes, receive: Receive) -> Receive:
    """`receive` for the app behind: the body already read, then the client's messages
    (a disconnect)."""
    pending = [{"type": "http.request", "body": body, "more_body": False}]

    async def replayed() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replayed


def _bearer_of(request: Request) -> str | None:
    """The credentials of an `Authorization: Bearer ...` header, as HTTPBearer reads them."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip() or None
