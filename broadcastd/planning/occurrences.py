"""Slot occurrences as states, not triggers.

A scheduler trigger only knows "fire at 05:30"; a daemon that restarts at 05:40 must
still know that the 05:30-06:00 broadcast is live and join it. So planning is a pure
function of (timetables, time window): it lists every occurrence that overlaps the
window, each with the same `broadcast_id` whenever it is planned, so clusters that
already hold a broadcast recognise a resend as the same one.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from broadcastd.contract.topics import REVISION_MARK
from broadcastd.timetable.model import Item, SlotBody, Timetable


def broadcast_id(commune: str, slot: str, day: date, revision: int = 1) -> str:
    """One occurrence of one slot for one commune: `man-lan/morning/2026-11-29`; its
    revisions after a change once sent: `man-lan/morning/2026-11-29~2`, `~3`..."""
    base = f"{commune}/{slot}/{day.isoformat()}"
    return base if revision <= 1 else f"{base}{REVISION_MARK}{revision}"


@dataclass(frozen=True, slots=True)
class Occurrence:
    commune: str
    slot: str
    title: str
    local_date: date
    start: datetime
    end: datetime
    priority: int
    volume: int
    clusters: tuple[str, ...]
    playlist: tuple[Item, ...]
    revision: int = 1
    """Set by the dispatcher when the occurrence changed after it was sent; the
    planner always says 1."""

    @property
    def broadcast_id(self) -> str:
        return broadcast_id(self.commune, self.slot, self.local_date, self.revision)

    @property
    def base_id(self) -> str:
        """The id of the occurrence whatever its revision: the planner's id."""
        return broadcast_id(self.commune, self.slot, self.local_date)

    def with_revision(self, revision: int) -> Occurrence:
        return replace(self, revision=revision)

    @property
    def fingerprint(self) -> str:
        """What the clusters play, as a short digest: times, priority, volume and
        playlist (not the title, not the clusters). A change of it, once sent, is a
        new revision; it is stored, so a restart can tell too."""
        content = {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "priority": self.priority,
            "volume": self.volume,
            # No `fallback` or `text` key without one: fingerprints sent before they
            # existed stay equal (else an upgrade would resend every open broadcast as a
            # new revision).
            "playlist": [
                item.model_dump(
                    mode="json",
                    exclude={key for key in ("fallback", "text") if getattr(item, key) is None},
                )
                for item in self.playlist
            ],
        }
        text = json.dumps(content, sort_keys=True, ensure_ascii=True)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def is_live(self, now: datetime) -> bool:
        return self.start <= now < self.end

    def send_at(self, lead_s: float) -> datetime:
        """When the first `play` goes out: ahead of start, so clusters fetch files."""
        return self.start - timedelta(seconds=lead_s)


def _require_aware(moment: datetime) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError("planning needs aware datetimes (with a time zone)")


def _occurrence(timetable: Timetable, slot: SlotBody, day: date) -> Occurrence:
    zone = timetable.commune.zone
    return Occurrence(
        commune=timetable.commune.id,
        slot=slot.id,
        title=slot.title or slot.id,
        local_date=day,
        start=datetime.combine(day, slot.start, tzinfo=zone),
        end=datetime.combine(day, slot.end, tzinfo=zone),
        priority=slot.priority,
        volume=slot.volume,
        clusters=timetable.target_clusters(slot),
        playlist=tuple(slot.playlist),
    )


def _days(first: date, last: date) -> Iterator[date]:
    day = first
    while day <= last:
        yield day
        day += timedelta(days=1)


def occurrences(timetable: Timetable, since: datetime, until: datetime) -> list[Occurrence]:
    """Occurrences of one commune that overlap [since, until), by start time.

    Dates are the commune's local dates: 05:30 in Hanoi is 22:30 UTC the day before,
    so weekday rules and exceptions are evaluated in the commune's zone.
    """
    _require_aware(since)
    _require_aware(until)
    zone = timetable.commune.zone
    first = since.astimezone(zone).date() - timedelta(days=1)
    last = until.astimezone(zone).date()
    found = [
        _occurrence(timetable, slot, day)
        for day in _days(first, last)
        for slot in timetable.slots_on(day)
    ]
    return sorted(
        (occ for occ in found if occ.end > since and occ.start < until),
        key=lambda occ: (occ.start, occ.commune, occ.slot),
    )


def plan(timetables: Iterable[Timetable], since: datetime, until: datetime) -> list[Occurrence]:
    """Occurrences of every commune that overlap [since, until), by start time."""
    merged = [occ for timetable in timetables for occ in occurrences(timetable, since, until)]
    return sorted(merged, key=lambda occ: (occ.start, occ.commune, occ.slot))


def live_at(timetables: Iterable[Timetable], now: datetime) -> list[Occurrence]:
    """Occurrences playing at `now`: the ones a restarting daemon must join."""
    return [occ for occ in plan(timetables, now, now + timedelta(microseconds=1))]


def next_occurrence(
    timetable: Timetable, now: datetime, horizon: timedelta = timedelta(days=8)
) -> Occurrence | None:
    """The first occurrence starting at or after `now` within the horizon."""
    upcoming = [occ for occ in occurrences(timetable, now, now + horizon) if occ.start >= now]
    return upcoming[0] if upcoming else None
