"""The coordination tables, read and written on PostgreSQL with the database's clock.

Every time that decides ownership is the database's `now()`: a daemon's own clock may
be off by minutes and still never take a commune early. A claim is one conditional
upsert (`ON CONFLICT DO UPDATE ... WHERE` the row is this daemon's or has expired), so
two daemons claiming the same commune at the same instant cannot both win: PostgreSQL
re-checks the condition on the row as the other transaction left it.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    ColumnElement,
    Connection,
    Interval,
    and_,
    case,
    delete,
    func,
    literal,
    or_,
    select,
)
from sqlalchemy.dialects.postgresql import insert

from broadcastd.coordination.share import Lease
from broadcastd.store.schema import commune_leases, daemons


@dataclass(frozen=True, slots=True)
class DaemonRow:
    name: str
    client_id: str
    http_url: str
    started_at: datetime
    heartbeat_at: datetime
    lease_s: float
    live: bool


def _seconds(value: float) -> object:
    return literal(timedelta(seconds=value), Interval())


def db_now(conn: Connection) -> datetime:
    value = conn.execute(select(func.now())).scalar_one()
    assert isinstance(value, datetime)
    return value


def heartbeat(
    conn: Connection, name: str, client_id: str, http_url: str, lease_s: float, *, first: bool
) -> None:
    """Say this daemon is alive (now, by the database); `first`: it has just started."""
    now = func.now()
    values = {"name": name, "client_id": client_id, "http_url": http_url,
              "started_at": now, "heartbeat_at": now, "lease_s": lease_s}
    stmt = insert(daemons).values(values)
    update = {"client_id": client_id, "http_url": http_url, "heartbeat_at": now,
              "lease_s": lease_s}
    if first:
        update["started_at"] = now
    conn.execute(stmt.on_conflict_do_update(index_elements=[daemons.c.name], set_=update))


def _live() -> ColumnElement[bool]:
    expiry = daemons.c.heartbeat_at + func.make_interval(0, 0, 0, 0, 0, 0, daemons.c.lease_s)
    return expiry > func.now()


def daemon_rows(conn: Connection) -> list[DaemonRow]:
    """Every daemon that has registered, live or not, by name."""
    rows = conn.execute(
        select(daemons, _live().label("live")).order_by(daemons.c.name)
    )
    return [
        DaemonRow(r.name, r.client_id, r.http_url, r.started_at, r.heartbeat_at, r.lease_s,
                  bool(r.live))
        for r in rows
    ]


def leases(conn: Connection) -> dict[str, Lease]:
    rows = conn.execute(select(commune_leases.c.commune, commune_leases.c.daemon,
                               commune_leases.c.expires_at))
    return {r.commune: Lease(r.commune, r.daemon, r.expires_at) for r in rows}


def claim(conn: Connection, me: str, communes: Collection[str], lease_s: float) -> set[str]:
    """Renew or take each commune for `lease_s` from now, where it is this daemon's or
    its lease has expired. Returns the communes this daemon holds now, of those asked."""
    if not communes:
        return set()
    now, until = func.now(), func.now() + _seconds(lease_s)
    stmt = insert(commune_leases).values(
        [{"commune": c, "daemon": me, "acquired_at": now, "expires_at": until}
         for c in sorted(communes)]
    )
    table = commune_leases.c
    upsert = stmt.on_conflict_do_update(
        index_elements=[table.commune],
        set_={
            "daemon": me,
            "expires_at": stmt.excluded.expires_at,
            "acquired_at": case((table.daemon == me, table.acquired_at),
                                else_=stmt.excluded.acquired_at),
        },
        where=or_(table.daemon == me, table.expires_at <= func.now()),
    ).returning(table.commune)
    return {row.commune for row in conn.execute(upsert)}


def release(conn: Connection, me: str, communes: Collection[str] | None = None) -> None:
    """Let communes go at once (all of this daemon's when `communes` is None)."""
    condition = commune_leases.c.daemon == me
    if communes is not None:
        if not communes:
            return
        condition = and_(condition, commune_leases.c.commune.in_(sorted(communes)))
    conn.execute(delete(commune_leases).where(condition))


def forget_daemon(conn: Connection, name: str, *, only_if_dead: bool) -> bool:
    """Remove a daemon's row (a clean stop; or a dead one whose MQTT session someone
    drains). True when this call removed it: the one caller that does drains it."""
    condition = daemons.c.name == name
    if only_if_dead:
        condition = and_(condition, ~_live())
    result = conn.execute(delete(daemons).where(condition).returning(daemons.c.name))
    return result.first() is not None


def held_count(conn: Connection, communes: Collection[str]) -> int:
    """How many of `communes` hold a live lease (cheap: the poll between rounds)."""
    if not communes:
        return 0
    return int(conn.execute(
        select(func.count()).select_from(commune_leases).where(
            commune_leases.c.commune.in_(sorted(communes)),
            commune_leases.c.expires_at > func.now(),
        )
    ).scalar_one())
