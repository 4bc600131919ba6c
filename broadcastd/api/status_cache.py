"""`/status` answers kept as JSON bytes and built again only when what they show changed.

What changes an answer: a committed write (acks, presence, sends, a broadcast recorded
or cancelled: `Store.generation` moves), a timetable reload (the daemon's topology is a
new list), a shown broadcast ending, a recorded one starting or a shown commune lease
expiring (several daemons: renewed or taken over; the clock passes `valid_until`).
An answer cheap to build (`CHEAP_BUILD_S`: a commune server's) is built again for the
request that finds it out of date. A province's takes seconds under load, and the store
moves every few milliseconds, so with `refresh_s` it is built at most that often: a
request finding it out of date gets it as it is (its `generated_at` says when) while a
new one is built in the background. The summary is kept warm by a thread (`keep`): built at start and again
every `KEEP_S` while things change, so no request waits for it; a commune's page
older than `STALE_FACTOR` times `refresh_s` is built before answering (it is small).
With `refresh_s` 0 every change is seen by the next request (the tests' setting).
"""

from __future__ import annotations

import json
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import structlog

from broadcastd.api import present, province, status_answer
from broadcastd.api.deps import Clock, DaemonView, Topology
from broadcastd.api.views import CommuneTopology
from broadcastd.contract import format_time
from broadcastd.coordination import owners
from broadcastd.store import Store

log = structlog.get_logger(__name__)

STALE_FACTOR = 3
PROVINCE_S = timedelta(seconds=2)
"""With several daemons, an answer shows owners and heartbeats at most this old (they
move without a write through the store)."""
KEEP_S = 10.0
"""The summary is built again at least this often while anything changes (`keep`)."""
CHEAP_BUILD_S = 0.05
"""An answer that took less than this to build is built again for the request that
finds it out of date: a commune server's (a few dozen clusters) is always fresh; only a
province's (seconds to build under load) is given kept while a new one is built."""
MAX_ENTRIES = 64
"""Answers kept at most (the summary, and pages of communes asked for): least used go."""

Key = tuple[str | None, int, int]
"""(commune or None for the summary, page, limit)."""


@dataclass(frozen=True)
class Built:
    """One answer without its problems (those are said per request, in its language)."""

    body: bytes
    """`"communes":[...],"rejected":[...]` encoded."""
    generation: int
    topology: list[CommuneTopology]
    moment: datetime
    valid_until: datetime | None
    built_at: float
    build_s: float
    """How long it took to build (`CHEAP_BUILD_S`)."""


class StatusAnswers:
    """The answers of `/status`, shared by every request of one app."""

    def __init__(self, store: Store, view: DaemonView, now: Clock, refresh_s: float = 0.0,
                 cheap_build_s: float = CHEAP_BUILD_S) -> None:
        self._store, self._view, self._now = store, view, now
        self._refresh_s = refresh_s
        self._cheap_build_s = cheap_build_s
        self._entries: OrderedDict[Key, Built] = OrderedDict()
        self._lock = threading.Lock()
        self._building: dict[Key, threading.Lock] = {}
        """One lock per answer: a commune's page is not held up by the summary's build."""
        self._refreshing: set[Key] = set()

    def key(self, commune: str | None, page: int, limit: int) -> Key:
        return (commune, page, limit) if commune is not None else (None, 1, 0)

    def cached(self, key: Key, topology: list[CommuneTopology]) -> Built | None:
        """The answer kept for `key` if it may be given now (never waits, never reads the
        database; may start a refresh in the background); None: build it first."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            refreshing = key in self._refreshing
        if entry is None or entry.topology is not topology:
            return None
        if self._current(entry):
            return entry
        if entry.build_s < self._cheap_build_s:
            return None
        age = time.monotonic() - entry.built_at
        if age < self._refresh_s:
            return entry
        if self._refresh_s <= 0:
            return None
        if refreshing or key[0] is None or age < self._refresh_s * STALE_FACTOR:
            # The summary is always given at once (the keeper holds it at most `KEEP_S`
            # old); a commune's page, small to build, is built first once too old.
            self._refresh_later(key, topology)
            return entry
        return None

    def keep(self) -> threading.Thread | None:
        """With `refresh_s`, a thread that builds the summary at start and again every
        `KEEP_S` while something changed, so that no request waits for it: at 10,000
        clusters it takes a second or more to build under load. None without."""
        if self._refresh_s <= 0:
            return None

        def run() -> None:
            while True:
                try:
                    topology = self._view.topology()
                    key = self.key(None, 1, 0)
                    with self._lock:
                        entry = self._entries.get(key)
                    if entry is None or entry.topology is not topology or not self._current(entry):
                        self._build(key, topology)
                except Exception:
                    log.exception("status.keep_failed")
                time.sleep(max(KEEP_S, self._refresh_s))

        thread = threading.Thread(target=run, name="status-keeper", daemon=True)
        thread.start()
        return thread

    def answer(self, commune: str | None, page: int, limit: int,
               topology: list[CommuneTopology]) -> Built:
        """The answer, built now when the kept one may not be given."""
        key = self.key(commune, page, limit)
        kept = self.cached(key, topology)
        return kept if kept is not None else self._build(key, topology)

    def build(self, key: Key, topology: list[CommuneTopology]) -> Built:
        return self._build(key, topology)

    def _current(self, entry: Built) -> bool:
        now = self._now()
        return (entry.generation == self._store.generation and now >= entry.moment
                and (entry.valid_until is None or now < entry.valid_until))

    def _refresh_later(self, key: Key, topology: list[CommuneTopology]) -> None:
        with self._lock:
            if key in self._refreshing:
                return
            self._refreshing.add(key)

        def refresh() -> None:
            try:
                self._build(key, topology)
            except Exception:
                log.exception("status.refresh_failed", commune=key[0])
            finally:
                with self._lock:
                    self._refreshing.discard(key)

        threading.Thread(target=refresh, name="status-refresh", daemon=True).start()

    def _build(self, key: Key, topology: list[CommuneTopology]) -> Built:
        with self._lock:
            building = self._building.setdefault(key, threading.Lock())
        with building:
            with self._lock:
                entry = self._entries.get(key)
            if entry is not None and entry.topology is topology and self._current(entry):
                return entry  # built by another request while this one waited
            generation = self._store.generation  # before reading: a later write rebuilds
            moment = self._now()
            started = time.monotonic()
            body, valid_until = self._read(key, Topology(topology), moment)
            built_at = time.monotonic()
            entry = Built(body, generation, topology, moment, valid_until, built_at,
                          built_at - started)
            with self._lock:
                self._entries[key] = entry
                self._entries.move_to_end(key)
                while len(self._entries) > MAX_ENTRIES:
                    gone, _ = self._entries.popitem(last=False)
                    self._building.pop(gone, None)
            return entry

    def _read(self, key: Key, topology: Topology, moment: datetime
              ) -> tuple[bytes, datetime | None]:
        commune, page, limit = key
        presences = self._store.presences(commune)
        latest = self._store.last_deliveries(moment, commune)
        # Outcomes exist once a broadcast is over: a live one's would be a read of all
        # its deliveries (10,000 rows at a province's slot) for nothing but `None`s.
        over = {view.broadcast_id: view for view, _ in latest.values() if view.end <= moment}
        outcomes = self._store.outcomes(list(over.values()), moment) if over else {}
        if commune is None:
            communes = status_answer.problems_first([
                status_answer.commune_summary(known, presences, latest, outcomes, moment)
                for known in topology.communes
            ])
        else:
            known = topology.commune(commune)
            assert known is not None  # the route answers 404 before
            communes = [_commune_page(
                present.commune_status(known, presences, latest, topology, outcomes, moment),
                page, limit,
            )]
        found = self._store.read(owners.province)
        for shown in communes:
            owner = province.owner_status(found, shown["commune"])
            shown["owner"] = owner.model_dump(mode="json") if owner is not None else None
        daemons = [d.model_dump(mode="json") for d in province.daemon_status(found)]
        rejected = [r.model_dump(mode="json") for r in present.rejected(
            self._store.rejected_counts())]
        # Leases move without a write through the store: the answer lasts until the
        # first shown lease would expire (renewed, or taken over, by then).
        leases = [lease.expires_at for shown in communes
                  if (lease := found.owner(shown["commune"])) is not None]
        if found.now is not None:  # a database that coordinates daemons: leases move
            leases.append(moment + PROVINCE_S)
        ends = [t for t in (status_answer.next_change(latest, moment),
                            self._store.next_start_after(moment),
                            min(leases) if leases else None) if t is not None]
        body = (b'"communes":' + _encode(communes) + b',"daemons":' + _encode(daemons)
                + b',"rejected":' + _encode(rejected))
        return body, min(ends) if ends else None


def _commune_page(status: Any, page: int, limit: int) -> dict[str, Any]:
    """The commune with one page of its clusters."""
    found: dict[str, Any] = status.model_dump(mode="json")
    clusters = found["clusters"] or []
    total = len(clusters)
    found["clusters"] = clusters[(page - 1) * limit: page * limit]
    found["cluster_page"] = {"page": page, "limit": limit, "total": total,
                             "pages": max(1, -(-total // limit))}
    return found


def _encode(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def respond(built: Built, problems: list[str]) -> bytes:
    """The whole answer: when it was read, what it holds, the problems said now."""
    return (b'{"generated_at":' + _encode(format_time(built.moment)) + b","
            + built.body + b',"problems":' + _encode(problems) + b"}")

