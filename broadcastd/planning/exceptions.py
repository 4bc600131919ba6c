"""The dated exceptions of a timetable that fall in a window: which regular slots a
date skips and which one-off slots it adds, for people reading the week ahead (the
occurrences themselves already have them applied: `Timetable.slots_on`). Pure."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from broadcastd.timetable.model import Timetable


@dataclass(frozen=True, slots=True)
class DayChange:
    """One dated exception of one commune."""

    commune: str
    day: date
    skipped: tuple[str, ...]
    """Titles (else ids) of the regular slots not played that day."""
    added: tuple[str, ...]
    """Ids of the one-off slots played that day only."""
    note: str | None


def day_changes(timetable: Timetable, since: datetime, until: datetime) -> list[DayChange]:
    """The exceptions of the commune-local dates that [since, until) touches, by date."""
    zone = timetable.commune.zone
    first = since.astimezone(zone).date()
    last = (until - timedelta(microseconds=1)).astimezone(zone).date()
    titles = {slot.id: slot.title or slot.id for slot in timetable.slots}
    return [
        DayChange(
            commune=timetable.commune.id,
            day=exception.date,
            skipped=tuple(titles.get(slot, slot) for slot in exception.skip),
            added=tuple(slot.id for slot in exception.add),
            note=exception.note,
        )
        for exception in sorted(timetable.exceptions, key=lambda e: e.date)
        if first <= exception.date <= last
    ]
