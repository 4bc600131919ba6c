"""The HTTP API, built by a factory: everything it needs comes in as arguments."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, FastAPI

from broadcastd.api.deps import ApiContext, Clock, DaemonView, install_context
from broadcastd.api.routes import broadcasts, health, schedule, status
from broadcastd.store import Store


def utc_now() -> datetime:
    return datetime.now(UTC)


def create_app(
    store: Store,
    view: DaemonView,
    audio_router: APIRouter | None = None,
    *,
    now: Clock = utc_now,
) -> FastAPI:
    """The API over `store` and the running daemon's `view`; `now` is the clock it shows."""
    app = FastAPI(
        title="broadcastd",
        summary="Commune loudspeaker broadcasts: schedule, deliveries and acknowledgements.",
        description="Times are ISO 8601 with the commune's UTC offset. "
        "Broadcast ids hold slashes (`man-lan/morning/2026-11-29`) and are used as is in paths.",
        version="1",
    )
    install_context(app, ApiContext(store=store, view=view, now=now))
    for router in (health.router, status.router, broadcasts.router, schedule.router):
        app.include_router(router)
    if audio_router is not None:
        app.include_router(audio_router)
    return app
