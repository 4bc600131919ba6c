"""Who is calling: bearer tokens checked against the store, and the role each route needs.

A route states what it needs by declaring a dependency, e.g.
`who: Annotated[Principal, Depends(require(Role.OPERATOR))]`; reading routers get
`require(Role.VIEWER)` from `create_app`. tests/api/test_access.py walks the OpenAPI
schema: any operation that changes something (a method other than GET and HEAD) without
an operator guard, or a reading one that is neither guarded nor open, fails it. Under
the guards, `ChangesNeedAnOperator` refuses any such request without an operator token
before routing, so a forgotten guard fails closed.

Only the `Authorization: Bearer` header is read: no cookie, no query parameter. A web
page on another origin cannot set that header on a plain form or link, and without a
permissive CORS policy (there is none) its scripts cannot either, so requiring it is
what closes cross-site requests.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Annotated, Any

import structlog
from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.types import ASGIApp, Receive, Scope, Send

from broadcastd.access import Role, token_digest
from broadcastd.api.deps import ApiContext, ContextDep

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
    """Who made a request: a token's name and role, or `anonymous` (reading only)."""

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
    request: Request, context: ApiContext, token_text: str | None, needed: Role
) -> Principal:
    """Who sent `token_text` (the bearer credentials, or None), if allowed to do what
    needs `needed`; else the HTTPException to answer with (401 or 403), logged."""
    if token_text is None:
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


@cache
def require(needed: Role) -> Callable[..., Principal]:
    """The dependency that lets through a token whose role allows `needed`.

    No token, or one that is unknown (or revoked): 401. A token whose role is too small:
    403, logged with the token's name. With `http.anonymous_read`, a request with no
    token at all may read (`needed` is viewer). Cached, so the same role is one
    dependency wherever it is declared.
    """

    def guard(request: Request, context: ContextDep, credentials: BearerDep) -> Principal:
        return authorize(request, context, credentials.credentials if credentials else None, needed)

    return guard


class ChangesNeedAnOperator:
    """ASGI middleware, the net under the route guards: a request with any method but
    GET or HEAD needs an operator token (or better) before it reaches any route, so a
    route added without `require(...)` (or hidden from the schema) still cannot be used
    anonymously. Routes that need more (admin) say so with their own guard."""

    def __init__(self, app: ASGIApp, context: ApiContext) -> None:
        self.app = app
        self.context = context

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] in READ_METHODS:
            await self.app(scope, receive, send)
            return
        request = Request(scope)
        try:
            await run_in_threadpool(
                authorize, request, self.context, _bearer_of(request), Role.OPERATOR
            )
        except HTTPException as refusal:
            answer = JSONResponse(
                {"detail": refusal.detail}, refusal.status_code, headers=refusal.headers
            )
            await answer(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _bearer_of(request: Request) -> str | None:
    """The credentials of an `Authorization: Bearer ...` header, as HTTPBearer reads them."""
    scheme, _, credentials = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return credentials.strip() or None
