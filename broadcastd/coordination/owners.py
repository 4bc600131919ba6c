"""Who runs what, read from the database: what `/status` shows on any daemon."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, inspect

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

