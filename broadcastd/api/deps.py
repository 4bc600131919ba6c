"""Typed dependencies: what a route needs, read from the app state the factory set.

Routes never touch `request.app.state` themselves; they declare `StoreDep`, `ViewDep`,
`ClockDep` or `TopologyDep` and get a typed value.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Protocol
from zoneinfo import ZoneInfo

from fastapi import Depends, FastAPI, Query, Request

from broadcastd.api.views import CommuneTopology, DayChangeView, HealthReport, OccurrenceView
from broadcastd.console.limits import SignInLimiter
from broadcastd.console.sessions import Sessions
from broadcastd.i18n import Language, from_request
from broadcastd.store import Store

if TYPE_CHECKING:
    from broadcastd.api.status_cache import StatusAnswers

Clock = Callable[[], datetime]


class DaemonView(Protocol):
    """What the running daemon tells the API (implemented by the daemon)."""

    def health(self) -> HealthReport: ...

    def topology(self) -> list[CommuneTopology]: ...

    def upcoming(self, hours: float) -> list[OccurrenceView]: ...

    def day_changes(self, hours: float) -> list[DayChangeView]:
        """The dated exceptions of the days the next `hours` touch (the timetable page)."""
        ...

    def cancel(self, broadcast_id: str, *, by: str, reason: str | None = None) -> bool:
        """True when the broadcast was known and is now stopped or cancelled; `by` (a
        token's name) and `reason` go to the audit log."""
        ...


TOUCH_EVERY_S = 60.0
"""A token's `last used` is written at most this often: a busy script must not turn
every read into a database write."""


@dataclass
class TokenUse:
    """When each token was last marked used."""

    _lock: threading.Lock = field(default_factory=threading.Lock)
    _marked: dict[str, float] = field(default_factory=dict)

    def due(self, name: str) -> bool:
        now = time.monotonic()
        with self._lock:
            if now - self._marked.get(name, -TOUCH_EVERY_S) < TOUCH_EVERY_S:
                return False
            self._marked[name] = now
            return True


@dataclass(frozen=True)
class ApiContext:
    store: Store
    view: DaemonView
    now: Clock
    anonymous_read: bool = False
    """Reading without a token allowed (`http.anonymous_read`)."""
    token_use: TokenUse = field(default_factory=TokenUse)
    sessions: Sessions | None = None
    """Console sign-ins; None: only tokens are accepted."""
    sign_ins: SignInLimiter = field(default_factory=SignInLimiter)
    status: StatusAnswers | None = None
    """The `/status` answers (the app factory makes them)."""


def install_context(app: FastAPI, context: ApiContext) -> None:
    app.state.broadcastd = context


def context_of(app: FastAPI) -> ApiContext:
    """The context the factory installed (for the daemon that made the app)."""
    context = app.state.broadcastd
    assert isinstance(context, ApiContext)
    return context


def get_context(request: Request) -> ApiContext:
    context = request.app.state.broadcastd
    assert isinstance(context, ApiContext)
    return context


ContextDep = Annotated[ApiContext, Depends(get_context)]


def get_store(context: ContextDep) -> Store:
    return context.store


def get_view(context: ContextDep) -> DaemonView:
    return context.view


def get_clock(context: ContextDep) -> Clock:
    return context.now


class Topology:
    """The communes of this request, indexed once: /status looks up every cluster."""

    def __init__(self, communes: list[CommuneTopology]) -> None:
        self.communes = communes
        self._by_id = {commune.commune: commune for commune in communes}
        self._zones = {c.commune: ZoneInfo(c.timezone) for c in communes}
        self._areas = {
            (c.commune, cluster): area
            for c in communes
            for area, clusters in c.areas.items()
            for cluster in clusters
        }

    def commune(self, commune: str) -> CommuneTopology | None:
        return self._by_id.get(commune)

    def zone(self, commune: str) -> ZoneInfo:
        """The commune's time zone; UTC for a commune no longer in the timetables."""
        return self._zones.get(commune) or ZoneInfo("UTC")

    def area_of(self, commune: str, cluster: str) -> str | None:
        return self._areas.get((commune, cluster))


def get_topology(view: Annotated[DaemonView, Depends(get_view)]) -> Topology:
    return Topology(view.topology())


StoreDep = Annotated[Store, Depends(get_store)]
ViewDep = Annotated[DaemonView, Depends(get_view)]
ClockDep = Annotated[Clock, Depends(get_clock)]
TopologyDep = Annotated[Topology, Depends(get_topology)]


def get_language(
    request: Request,
    lang: Annotated[
        str | None,
        Query(description="Language of the messages for people: `vi` (default) or `en`; "
              "else the Accept-Language header."),
    ] = None,
) -> Language:
    """The language this request's messages are said in: `?lang=`, else Accept-Language,
    else Vietnamese. Per request: nothing is remembered between requests."""
    return from_request(lang, request.headers.get("accept-language"))


LangDep = Annotated[Language, Depends(get_language)]
