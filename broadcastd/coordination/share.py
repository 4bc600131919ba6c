"""Which communes a daemon keeps, takes and lets go in one round: pure, no I/O.

Fair share: `ceil(communes / live daemons)`. A daemon renews what it holds, takes
free communes (never leased, or leased and expired) up to its share, and lets go
of what it holds beyond its share, idle communes only: a commune in a live slot
stays where it is until the slot is over, so a daemon joining the province does
not make every cluster of a running programme get its `play` again. Candidates are
ordered by a hash of (daemon, commune) (rendezvous hashing), so daemons starting
together reach for different communes and mostly get them at the first try.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class Lease:
    commune: str
    daemon: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class RoundPlan:
    keep: frozenset[str]
    """Held now and kept: renewed this round."""
    take: frozenset[str]
    """Free, and within the share: claimed this round (another daemon may win some)."""
    release: frozenset[str]
    """Held beyond the share (idle), or no longer in the timetables: let go."""
    share: int


def fair_share(communes: int, live_daemons: int) -> int:
    return math.ceil(communes / max(live_daemons, 1))


def preference(daemon: str, commune: str) -> bytes:
    """This daemon's rank of a commune (lower first): the same on every run."""
    return hashlib.blake2b(f"{daemon}\0{commune}".encode(), digest_size=8).digest()


def plan_round(
    me: str,
    communes: Collection[str],
    leases: Mapping[str, Lease],
    live_daemons: int,
    now: datetime,
    busy: Callable[[str], bool],
) -> RoundPlan:
    """`leases` by commune as the database has them, `now` the database's clock,
    `busy(commune)`: it has a broadcast on the air (or being sent ahead) here."""
    known = set(communes)
    held = {c for c, lease in leases.items() if lease.daemon == me}
    gone = held - known
    held &= known
    share = fair_share(len(known), live_daemons)
    release: set[str] = set(gone)
    take: set[str] = set()
    if len(held) > share:
        idle = sorted((c for c in held if not busy(c)), key=lambda c: preference(me, c),
                      reverse=True)
        release |= set(idle[: len(held) - share])
    elif len(held) < share:
        free = [
            c for c in known - held
            if c not in leases or leases[c].expires_at <= now
        ]
        free.sort(key=lambda c: preference(me, c))
        take = set(free[: share - len(held)])
    return RoundPlan(frozenset(held - release), frozenset(take), frozenset(release), share)
