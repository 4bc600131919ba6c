"""Who runs what, for `/status`: each commune's owner and the daemons, from the
coordination tables (several daemons, one province; nothing for a single daemon)."""

from __future__ import annotations

from broadcastd.api.models import CommuneOwner, DaemonStatus
from broadcastd.coordination.owners import Province


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

