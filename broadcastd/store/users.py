"""Console users and their sign-in sessions, on a connection.

The `user` command writes users from its own process (short transactions, like
`token`); the daemon reads them at sign-in and writes sessions through the store's
writer. Removing a user or changing a password deletes the user's sessions here, in
the same transaction, so they end at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from broadcastd.store.access import record_change
from broadcastd.store.schema import sessions, users


@dataclass(frozen=True)
class UserView:
    name: str
    role: str
    created_at: datetime
    last_sign_in_at: datetime | None


@dataclass(frozen=True)
class Credentials:
    """What sign-in checks: kept apart from UserView so no listing carries the hash."""

    name: str
    role: str
    password_hash: str


@dataclass(frozen=True)
class SessionView:
    digest: str
    user: str
    role: str
    """The user's role now (a session has no role of its own)."""
    csrf: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime


class DuplicateUser(ValueError):
    """A user of that name exists already."""


def _target(name: str) -> str:
    return f"user/{name}"


def list_users(conn: Connection) -> list[UserView]:
    u = users.c
    rows = conn.execute(select(u.name, u.role, u.created_at, u.last_sign_in_at).order_by(u.name))
    return [UserView(r.name, r.role, r.created_at, r.last_sign_in_at) for r in rows]


def credentials_of(conn: Connection, name: str) -> Credentials | None:
    u = users.c
    row = conn.execute(select(u.name, u.role, u.password_hash).where(u.name == name)).first()
    return None if row is None else Credentials(row.name, row.role, row.password_hash)


def add_user(
    conn: Connection, name: str, role: str, password_hash: str, at: datetime, by: str
) -> None:
    """Insert a user and its audit entry; DuplicateUser when the name is taken."""
    if conn.execute(select(users.c.name).where(users.c.name == name)).first():
        raise DuplicateUser(name)
    try:
        with conn.begin_nested():
            conn.execute(
                insert(users),
                {"name": name, "role": role, "password_hash": password_hash, "created_at": at},
            )
    except IntegrityError as exc:  # added by another process since the check
        raise DuplicateUser(name) from exc
    record_change(conn, at, by, "user add", _target(name), f"role {role}")


def remove_user(conn: Connection, name: str, at: datetime, by: str) -> bool:
    """Delete a user and end their sessions; False when there is none of that name."""
    removed = conn.execute(delete(users).where(users.c.name == name)).rowcount
    if removed:
        conn.execute(delete(sessions).where(sessions.c.user_name == name))
        record_change(conn, at, by, "user remove", _target(name), None)
    return bool(removed)


def set_password(
    conn: Connection,
    name: str,
    password_hash: str,
    at: datetime,
    by: str,
    *,
    keep_session: str | None = None,
) -> bool:
    """Replace a user's password hash and end their sessions (all but `keep_session`, the
    digest of the one that asked, if any); False when there is no such user."""
    changed = conn.execute(
        update(users).where(users.c.name == name).values(password_hash=password_hash)
    ).rowcount
    if changed:
        ended = delete(sessions).where(sessions.c.user_name == name)
        if keep_session is not None:
            ended = ended.where(sessions.c.digest != keep_session)
        conn.execute(ended)
        record_change(conn, at, by, "user passwd", _target(name), None)
    return bool(changed)


def rehash_password(conn: Connection, name: str, password_hash: str) -> None:
    """A stronger hash of the same password (no audit entry: nothing changed for people)."""
    conn.execute(update(users).where(users.c.name == name).values(password_hash=password_hash))


def start_session(
    conn: Connection, digest: str, user: str, csrf: str, at: datetime, expires_at: datetime
) -> None:
    """Keep a new session and note the user's sign-in."""
    conn.execute(
        insert(sessions),
        {
            "digest": digest,
            "user_name": user,
            "csrf": csrf,
            "created_at": at,
            "last_seen_at": at,
            "expires_at": expires_at,
        },
    )
    conn.execute(update(users).where(users.c.name == user).values(last_sign_in_at=at))


def session_by_digest(conn: Connection, digest: str) -> SessionView | None:
    """The session and its user's current role; None if either is gone."""
    s, u = sessions.c, users.c
    row = conn.execute(
        select(
            s.digest, s.user_name, u.role, s.csrf, s.created_at, s.last_seen_at, s.expires_at
        )
        .join_from(sessions, users, s.user_name == u.name)
        .where(s.digest == digest)
    ).first()
    if row is None:
        return None
    return SessionView(
        row.digest, row.user_name, row.role, row.csrf, row.created_at, row.last_seen_at,
        row.expires_at,
    )


def touch_session(conn: Connection, digest: str, at: datetime) -> None:
    conn.execute(update(sessions).where(sessions.c.digest == digest).values(last_seen_at=at))


def end_session(conn: Connection, digest: str) -> None:
    conn.execute(delete(sessions).where(sessions.c.digest == digest))


def end_sessions_before(conn: Connection, idle_since: datetime, now: datetime) -> int:
    """Delete sessions idle since before `idle_since` or past their end; how many."""
    s = sessions.c
    return int(
        conn.execute(
            delete(sessions).where((s.last_seen_at < idle_since) | (s.expires_at <= now))
        ).rowcount
    )
