"""API tokens and the audit log of changes, on a connection.

The daemon reads tokens on every guarded request (one primary-key seek) and marks
them used through the writer; the `token` command writes them from its own process,
in its own short transactions, while the daemon runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from broadcastd.store.schema import api_tokens, changes

CANCEL = "cancel"
TIMETABLE = "timetable"
"""Who cancels what a timetable edit removed or changed."""


@dataclass(frozen=True)
class TokenView:
    name: str
    role: str
    created_at: datetime
    last_used_at: datetime | None


@dataclass(frozen=True)
class ChangeView:
    at: datetime
    actor: str
    action: str
    target: str
    reason: str | None


class DuplicateToken(ValueError):
    """A token of that name exists already."""


def token_by_digest(conn: Connection, digest: str) -> TokenView | None:
    t = api_tokens.c
    row = conn.execute(
        select(t.name, t.role, t.created_at, t.last_used_at).where(t.digest == digest)
    ).first()
    return None if row is None else TokenView(row.name, row.role, row.created_at, row.last_used_at)


def list_tokens(conn: Connection) -> list[TokenView]:
    t = api_tokens.c
    rows = conn.execute(select(t.name, t.role, t.created_at, t.last_used_at).order_by(t.name))
    return [TokenView(r.name, r.role, r.created_at, r.last_used_at) for r in rows]


def add_token(
    conn: Connection, name: str, role: str, digest: str, at: datetime, by: str
) -> None:
    """Insert a token and its audit entry; DuplicateToken when the name is taken."""
    if conn.execute(select(api_tokens.c.name).where(api_tokens.c.name == name)).first():
        raise DuplicateToken(name)
    try:
        with conn.begin_nested():
            conn.execute(
                insert(api_tokens),
                {"name": name, "role": role, "digest": digest, "created_at": at},
            )
    except IntegrityError as exc:  # created by another process since the check
        raise DuplicateToken(name) from exc
    record_change(conn, at, by, "token create", f"token/{name}", f"role {role}")


def remove_token(conn: Connection, name: str, at: datetime, by: str) -> bool:
    """Delete a token (it stops working at once); False when there is none of that name."""
    removed = conn.execute(delete(api_tokens).where(api_tokens.c.name == name)).rowcount
    if removed:
        record_change(conn, at, by, "token revoke", f"token/{name}", None)
    return bool(removed)


def mark_used(conn: Connection, name: str, at: datetime) -> None:
    conn.execute(update(api_tokens).where(api_tokens.c.name == name).values(last_used_at=at))


def record_change(
    conn: Connection, at: datetime, actor: str, action: str, target: str, reason: str | None
) -> None:
    conn.execute(
        insert(changes),
        {"at": at, "actor": actor, "action": action, "target": target, "reason": reason},
    )


def changes_of(conn: Connection, target: str) -> list[ChangeView]:
    """The audit entries of one target, oldest first."""
    c = changes.c
    rows = conn.execute(select(changes).where(c.target == target).order_by(c.at, c.id))
    return [ChangeView(r.at, r.actor, r.action, r.target, r.reason) for r in rows]
