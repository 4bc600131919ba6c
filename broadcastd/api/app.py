"""The HTTP API, built by a factory: everything it needs comes in as arguments."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import APIRouter, Depends, FastAPI
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

from broadcastd.access import Role
from broadcastd.api.auth import ChangesNeedAnOperator, require
from broadcastd.api.deps import ApiContext, Clock, DaemonView, install_context
from broadcastd.api.models import ErrorBody
from broadcastd.api.routes import announcements, broadcasts, health, reports, schedule, status
from broadcastd.api.status_cache import StatusAnswers
from broadcastd.console import announce_page as console_announce
from broadcastd.console import auth as console_auth
from broadcastd.console import cluster_page, timetable_page
from broadcastd.console import pages as console_pages
from broadcastd.console import reports_page as console_reports
from broadcastd.console.library_page import LibraryConfig, library_router
from broadcastd.console.sessions import SessionPolicy, Sessions
from broadcastd.settings import ConsoleSettings
from broadcastd.store import Store

if TYPE_CHECKING:
    from broadcastd.announce.service import AnnounceDesk

STATIC = Path(__file__).parent / "static"
SWAGGER = "/static/swagger-ui"

OPEN_PATHS = (
    "/healthz",  # the service manager and monitoring, before any token exists
    "/audio/{file}",  # the speakers fetch by sha256 name and hold no token
    "/docs",  # the page and schema say what exists, not what is in it
    "/openapi.json",
    SWAGGER,
    "/login",  # the console's sign-in form (not in the schema: a page, not the API)
    console_auth.STATIC_PATH,
)
"""Routes anyone may read; every other reading route needs a viewer token unless
`http.anonymous_read`."""

AUTH_RESPONSES: dict[int | str, dict[str, object]] = {
    401: {"model": ErrorBody, "description": "No token, or an unknown or revoked one."},
    403: {"model": ErrorBody, "description": "The token's role does not allow this."},
}

DESCRIPTION = """Times are ISO 8601 with the commune's UTC offset. Broadcast ids hold
slashes (`man-lan/morning/2026-11-29`) and are used as is in paths.

**Access.** Send an API token as `Authorization: Bearer TOKEN` (the *Authorize* button
below). Roles: `viewer` reads, `operator` also cancels, stops and announces
(`POST /announcements`), `admin` also manages tokens. Reading needs a viewer token unless
the server sets `http.anonymous_read: true`; `/healthz` and `/audio/...` are always open.
Tokens are made on the server with `broadcastd token create --name NAME --role ROLE`.
A browser signed in at `/login` (a user from `broadcastd user add`) may call the same
routes with its session cookie; its changing requests must carry the session's CSRF
token (form field `csrf` or header `X-CSRF-Token`)."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    store: Store,
    view: DaemonView,
    audio_router: APIRouter | None = None,
    *,
    now: Clock = utc_now,
    anonymous_read: bool = False,
    readers: Sequence[APIRouter] = (),
    announcer: Callable[[], AnnounceDesk | None] = lambda: None,
    console: ConsoleSettings | None = None,
    secure_cookies: bool = False,
    library: LibraryConfig | None = None,
    status_refresh_s: float = 0.0,
) -> FastAPI:
    """The API over `store` and the running daemon's `view`; `now` is the clock it shows.

    `readers` are further routers (metrics) that get the same read guard as /status;
    routes that change something declare `Depends(require(Role.OPERATOR))` themselves.
    `announcer()` is the daemon's, once delivery runs (None before: announcing answers 503).
    `console` times the console's sessions; `secure_cookies` marks their cookie Secure
    (the server, or a proxy in front, speaks HTTPS). `library`: the audio library
    page's folders and upload limit (without it, no /library page). `status_refresh_s`:
    under a stream of writes, `/status` answers are built at most this often (0: on
    every change).
    """
    app = FastAPI(
        title="broadcastd",
        summary="Commune loudspeaker broadcasts: schedule, deliveries and acknowledgements.",
        description=DESCRIPTION,
        version="1",
        docs_url=None,  # served below from vendored files, not a CDN
        redoc_url=None,
        swagger_ui_oauth2_redirect_url=None,
    )
    policy = SessionPolicy.from_settings(console or ConsoleSettings(), secure_cookie=secure_cookies)
    context = ApiContext(
        store=store,
        view=view,
        now=now,
        anonymous_read=anonymous_read,
        sessions=Sessions(store, policy, now),
        status=StatusAnswers(store, view, now, status_refresh_s),
    )
    install_context(app, context)
    app.state.announcer = announcer
    app.add_middleware(ChangesNeedAnOperator, context=context)
    app.include_router(health.router)
    app.include_router(announcements.router, responses=AUTH_RESPONSES)
    read = [Depends(require(Role.VIEWER))]
    for router in (status.router, broadcasts.router, schedule.router, reports.router, *readers):
        app.include_router(router, dependencies=read, responses=AUTH_RESPONSES)
    if audio_router is not None:
        app.include_router(audio_router)
    app.include_router(console_auth.router)
    app.include_router(console_pages.router)  # each page checks the session itself
    app.include_router(cluster_page.router)
    app.include_router(timetable_page.router)
    if library is not None:
        app.include_router(library_router(library))
    app.include_router(console_announce.router)  # the form's POSTs need an operator
    app.include_router(console_reports.router)
    app.mount(
        console_auth.STATIC_PATH,
        StaticFiles(directory=console_auth.STATIC),
        name="console-static",
    )
    _install_docs(app)
    return app


def _install_docs(app: FastAPI) -> None:
    """/docs from the Swagger UI files shipped in the package (no internet needed)."""
    app.mount(SWAGGER, StaticFiles(directory=STATIC / "swagger-ui"), name="swagger-ui")

    @app.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        return get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="broadcastd API",
            swagger_js_url=f"{SWAGGER}/swagger-ui-bundle.js",
            swagger_css_url=f"{SWAGGER}/swagger-ui.css",
            swagger_favicon_url=f"{SWAGGER}/favicon-32x32.png",
            oauth2_redirect_url=None,
            # No badge from validator.swagger.io: the page makes no outside request.
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": False},
        )
