"""Console sessions: made at sign-in, kept server side, named by a random id in a cookie.

The database keeps only the id's SHA-256 (as for API tokens: 256 random bits need no
slow hash), with the user's name, a CSRF token, and three times: created, last seen,
and the absolute end. A session ends when it is signed out, idle for
`console.session_idle_min`, past `console.session_max_h`, or when its user is removed
or their password changed (the store deletes those rows).
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Connection
from starlette.requests import Request

from broadcastd.access.tokens import token_digest
from broadcastd.console.form_stream import is_multipart
from broadcastd.settings import ConsoleSettings
from broadcastd.store import Store, StoreWriteFailed
from broadcastd.store.users import (
    SessionView,
    end_session,
    end_sessions_before,
    session_by_digest,
    start_session,
    touch_session,
)
from broadcastd.store.writer import WriteOp

COOKIE = "broadcastd_session"
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
LEADING_CSRF = "broadcastd.leading_csrf"
"""Where `ChangesNeedAnOperator` leaves the `csrf` field it read ahead of an upload's
file, for the route's guard (which must not read the body again)."""

TOUCH_EVERY = timedelta(minutes=1)
"""`last seen` is written at most this often per session: reading pages is not a stream
of writes. Idle time is counted from it, so a session may end up to this much early."""


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta
    lifetime: timedelta
    secure_cookie: bool
    """The cookie goes only over HTTPS (`http.tls` or `http.secure_cookies`)."""

    @classmethod
    def from_settings(cls, console: ConsoleSettings, *, secure_cookie: bool) -> SessionPolicy:
        return cls(
            timedelta(minutes=console.session_idle_min),
            timedelta(hours=console.session_max_h),
            secure_cookie,
        )

    def live(self, session: SessionView, now: datetime) -> bool:
        return now < session.expires_at and now - session.last_seen_at < self.idle


def csrf_matches(session: SessionView, given: str | None) -> bool:
    """Compared in constant time: the token is a secret of the session."""
    return given is not None and hmac.compare_digest(session.csrf, given)


class Sessions:
    """Start, find and end sessions through the daemon's store, on the API's clock."""

    def __init__(self, store: Store, policy: SessionPolicy, now: Callable[[], datetime]) -> None:
        self.store = store
        self.policy = policy
        self.now = now

    def start(self, user: str) -> tuple[str, SessionView]:
        """A new session for `user` (already checked): its id, for the cookie, and view.
        Sessions that have ended unseen (a closed browser) are deleted on the way.
        StoreWriteFailed when it could not be kept."""
        session_id = secrets.token_urlsafe(32)
        digest = token_digest(session_id)
        csrf = secrets.token_urlsafe(32)
        at = self.now()
        expires_at = at + self.policy.lifetime

        def apply(conn: Connection) -> None:
            end_sessions_before(conn, at - self.policy.idle, at)
            start_session(conn, digest, user, csrf, at, expires_at)

        self.store.commit(WriteOp("session start", apply))
        return session_id, SessionView(digest, user, "", csrf, at, at, expires_at)

    def find(self, session_id: str | None) -> SessionView | None:
        """The live session of a cookie's id, noted as seen; None (and the row gone) for
        one that has ended."""
        if not session_id:
            return None
        digest = token_digest(session_id)
        session = self.store.read(lambda conn: session_by_digest(conn, digest))
        if session is None:
            return None
        now = self.now()
        if not self.policy.live(session, now):
            try:
                self._end(digest)
            except StoreWriteFailed:
                pass  # ended all the same: its times say so at every use
            return None
        if now - session.last_seen_at >= TOUCH_EVERY:
            try:
                self.store.commit(
                    WriteOp("session seen", lambda conn: touch_session(conn, digest, now))
                )
            except StoreWriteFailed:
                pass  # reading goes on; the session may end early if this persists
        return session

    def end(self, session_id: str) -> None:
        self._end(token_digest(session_id))

    def _end(self, digest: str) -> None:
        """StoreWriteFailed when the row could not be deleted (sign-out says so)."""
        self.store.commit(WriteOp("session end", lambda conn: end_session(conn, digest)))


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


async def csrf_of(request: Request) -> str | None:
    """The CSRF token a changing request carries: the `X-CSRF-Token` header (scripts),
    else a form's hidden `csrf` field (of a multipart form, the one the middleware read
    ahead of the file). Never a query parameter: URLs end up in logs."""
    header = request.headers.get(CSRF_HEADER)
    if header is not None:
        return header
    if not request.headers.get("content-type", "").startswith(FORM_TYPES):
        return None
    if is_multipart(request.headers.get("content-type")):  # an upload: never parse it here
        found = request.scope.get("state", {}).get(LEADING_CSRF)
        return found if isinstance(found, str) else None
    value = (await request.form()).get(CSRF_FIELD)
    return value if isinstance(value, str) else None
