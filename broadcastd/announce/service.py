"""Announcements in the running daemon: checked, kept, then handed to the scheduler.

Nothing here sends anything itself: an announcement is an `Occurrence` that the
scheduler plans (and replans after a restart or reload) and the dispatcher opens, like
any slot. The `AnnouncementBook` is what the scheduler's plan adds to the timetables'.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

import structlog

from broadcastd.announce import persist
from broadcastd.announce.model import AnnouncementRequest
from broadcastd.announce.plan import AnnouncementRefused, to_occurrence
from broadcastd.audio.catalogue import AudioEntry, Catalogue
from broadcastd.audio.errors import AudioError
from broadcastd.delivery.dispatcher import Dispatcher
from broadcastd.i18n import _, message_of
from broadcastd.planning.occurrences import Occurrence
from broadcastd.scheduling import BroadcastScheduler
from broadcastd.speech.cache import Speaker
from broadcastd.store import Store, StoreWriteFailed
from broadcastd.timetable.model import Timetable

log = structlog.get_logger(__name__)


class AnnouncementBook:
    """The announcements known to this run (loaded at start, added by the API)."""

    def __init__(self, occurrences: Sequence[Occurrence] = ()) -> None:
        self._lock = threading.Lock()
        self._by_id = {occ.base_id: occ for occ in occurrences}

    def add(self, occurrence: Occurrence) -> None:
        with self._lock:
            self._by_id[occurrence.base_id] = occurrence

    def has(self, base_id: str) -> bool:
        with self._lock:
            return base_id in self._by_id

    def between(self, since: datetime, until: datetime) -> list[Occurrence]:
        """Those overlapping [since, until), as the planner lists slots."""
        with self._lock:
            return [o for o in self._by_id.values() if o.end > since and o.start < until]


class AnnounceDesk(Protocol):
    """What the HTTP routes need of announcements (the `Announcer`, or a test's fake)."""

    def announce(self, request: AnnouncementRequest, *, by: str) -> Occurrence:
        """The occurrence sent; AnnouncementRefused when it cannot go out."""
        ...

    def preview(self, request: AnnouncementRequest) -> Occurrence:
        """What `announce` would send if asked now; nothing kept, nothing sent."""
        ...

    def library(self) -> list[AudioEntry]:
        """The audio items an announcement may name, by catalogue name."""
        ...

    def stop(
        self, broadcast_id: str, clusters: Sequence[str], *, by: str, reason: str | None
    ) -> list[str]:
        """The clusters sent `stop`; StopRefused when it cannot be done."""
        ...


class StopRefused(Exception):
    """A partial stop that cannot be done; `status` is the HTTP code to answer, the
    message a `Text` (English as the exception's text, any language with `said_error`)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


class Announcer:
    def __init__(
        self,
        *,
        store: Store,
        book: AnnouncementBook,
        scheduler: BroadcastScheduler,
        dispatcher: Dispatcher,
        timetables: Callable[[], Sequence[Timetable]],
        catalogue: Callable[[], Catalogue],
        lead_s: float,
        clock: Callable[[], datetime],
        speaker: Speaker | None = None,
    ) -> None:
        self._store = store
        self._book = book
        self._scheduler = scheduler
        self._dispatcher = dispatcher
        self._timetables = timetables
        self._catalogue = catalogue
        self._speaker = speaker
        self._lead_s = lead_s
        self._clock = clock
        self._lock = threading.Lock()  # one id at a time: "a suffix if taken"

    def announce(self, request: AnnouncementRequest, *, by: str) -> Occurrence:
        """Check, keep (with who and why), then open it on every target cluster at
        once. AnnouncementRefused (nothing kept, nothing sent) when it cannot go out."""
        spoken = self._speak(request)  # before the lock: synthesis takes seconds
        with self._lock:
            now = self._clock()
            occurrence = self._plan(request, now, spoken)
            persist.save(self._store, occurrence, by=by, reason=request.reason, at=now)
            self._book.add(occurrence)
        log.warning(
            "announcement",
            broadcast_id=occurrence.broadcast_id,
            by=by,
            reason=request.reason,
            priority=occurrence.priority,
            clusters=len(occurrence.clusters),
            start=occurrence.start.isoformat(),
            end=occurrence.end.isoformat(),
        )
        self._scheduler.open_now(occurrence)
        return occurrence

    def preview(self, request: AnnouncementRequest) -> Occurrence:
        """Checked exactly as `announce` checks it, for the console's confirmation page
        (who will hear it, from when to when); nothing kept, nothing sent. A text item
        is spoken here already, so the confirmed send finds it in the speech cache."""
        return self._plan(request, self._clock(), self._speak(request))

    def library(self) -> list[AudioEntry]:
        """The catalogue the announcements are checked against (the console's choices)."""
        entries = self._catalogue().entries
        return [entries[name] for name in sorted(entries)]

    def _speak(self, request: AnnouncementRequest) -> dict[str, float]:
        """Each text item spoken (or found in the speech cache): its length in seconds."""
        lengths: dict[str, float] = {}
        for position, item in enumerate(request.items):
            if item.text is None or self._speaker is None:
                continue
            try:
                lengths[item.text] = self._speaker.speak(item.text).duration_s
            except AudioError as exc:
                raise AnnouncementRefused(
                    _("item {position}, a text, cannot be spoken: {problem}").format(
                        position=position + 1, problem=message_of(exc)
                    ),
                    _('change the text, or send a recording as "audio"'),
                    "text_unspoken", position=str(position + 1), problem=str(exc),
                ) from exc
        return lengths

    def _plan(
        self, request: AnnouncementRequest, now: datetime, spoken: dict[str, float]
    ) -> Occurrence:
        catalogue = self._catalogue()

        def duration(name: str) -> float | None:
            entry = catalogue.get(name)
            return entry.duration_s if entry is not None else None

        return to_occurrence(
            request,
            self._timetables(),
            duration,
            now,
            lead_s=self._lead_s,
            taken=lambda base: self._book.has(base) or persist.exists(self._store, base),
            spoken=spoken.get,
        )

    def stop(
        self, broadcast_id: str, clusters: Sequence[str], *, by: str, reason: str | None
    ) -> list[str]:
        """`stop` to some clusters of a live broadcast (audited); the others play on."""
        result = self._dispatcher.stop_clusters(broadcast_id, clusters)
        if result is None:
            raise StopRefused(
                409, _("broadcast {broadcast} is not being delivered now (ended, cancelled, or "
                       "not yet sent); nothing to stop").format(broadcast=repr(broadcast_id))
            )
        stopped, unknown = result
        if unknown:
            raise StopRefused(
                422, _("broadcast {broadcast} does not go to {clusters}. Fix: name clusters it "
                       "targets (GET /broadcasts/{{id}} lists them)").format(
                           broadcast=repr(broadcast_id), clusters=", ".join(unknown))
            )
        try:
            persist.record_stop(
                self._store, broadcast_id, list(clusters), by=by, reason=reason, at=self._clock()
            )
        except StoreWriteFailed:
            # The stop went out: say so; only its line in the audit log is missing.
            log.error("partial stop not written to the audit log", broadcast_id=broadcast_id,
                      clusters=list(clusters), by=by, reason=reason)
        return stopped
