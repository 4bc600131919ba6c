"""Who runs what, read from the database: what `/status` shows on any daemon."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, inspect

from broadcastd.api.models import CommuneOwner, DaemonStatus, Status
from broadcastd.coordination import leases
from broadcastd.coordination.share import Lease


@dataclass(frozen=True, slots=True)
class Province:
    daemons: list[leases.DaemonRow]
    owners: dict[str, Lease]
    """By commune; a lease whose `expires_at` has passed is free for the taking."""
    now: datetime | None

    def owner(self, commune: str) -> Lease | None:
        """The live lease of a commune, or None (unowned, expired, or a single daemon)."""
        lease = self.owners.get(commune)
        if lease is None or self.now is None or lease.expires_at <= self.now:
            return None
        return lease


def province(conn: Connection) -> Province:
    """Daemons and leases; empty for a database with no coordination (a single daemon,
    or a SQLite file made before these tables existed)."""
    if conn.dialect.name != "postgresql" or not inspect(conn).has_table("commune_leases"):
        return Province([], {}, None)
    return Province(leases.daemon_rows(conn), leases.leases(conn), leases.db_now(conn))


def daemon_status(found: Province) -> list[DaemonStatus]:
    counts: dict[str, int] = {}
    for commune in found.owners:
        lease = found.owner(commune)
        if lease is not None:
            counts[lease.daemon] = counts.get(lease.daemon, 0) + 1
    return [
        DaemonStatus(name=row.name, http_url=row.http_url, live=row.live,
                     started_at=row.started_at, heartbeat_at=row.heartbeat_at,
                     communes=counts.get(row.name, 0))
        for row in found.daemons
    ]


def owner_status(found: Province, commune: str) -> CommuneOwner | None:
    lease = found.owner(commune)
    if lease is None:
        return None
    return CommuneOwner(daemon=lease.daemon, lease_expires_at=lease.expires_at)


def with_owners(status: Status, found: Province) -> Status:
    """`status` with each commune's owner and the daemons: one call in the route."""
    if found.now is None:
        return status
    return status.model_copy(update={
        "communes": [
            commune.model_copy(update={"owner": owner_status(found, commune.commune)})
            for commune in status.communes
        ],
        "daemons": daemon_status(found),
    })
