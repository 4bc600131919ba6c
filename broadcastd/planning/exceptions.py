"""The dated exceptions of a timetable that fall in a window: which regular slots a
date skips, which one-off slots it adds, which slots play another playlist that date
(`on:`), for people reading the week ahead (the occurrences themselves already have them
applied: `Timetable.slots_on`). Pure."""

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
    replaced: tuple[str, ...] = ()
    """Ids of the slots that play their dated playlist (`on:`) that day."""


def day_changes(timetable: Timetable, since: datetime, until: datetime) -> list[DayChange]:
    """The exceptions of the commune-local dates that [since, until) touches, by date."""
    zone = timetable.commune.zone
    first = since.astimezone(zone).date()
    last = (until - timedelta(microseconds=1)).astimezone(zone).date()
    titles = {slot.id: slot.title or slot.id for slot in timetable.slots}
    skipped: dict[date, set[str]] = {}
    for exception in timetable.exceptions:
        skipped.setdefault(exception.date, set()).update(exception.skip)
    exceptions = [
        DayChange(
            commune=timetable.commune.id,
            day=exception.date,
            skipped=tuple(titles.get(slot, slot) for slot in exception.skip),
            added=tuple(slot.id for slot in exception.add),
            note=exception.note,
        )
        for exception in timetable.exceptions
        if first <= exception.date <= last
    ]
    playlists = [
        DayChange(timetable.commune.id, dated.date, (), (), dated.note, (slot.id,))
        for slot in timetable.slots
        for dated in slot.on
        if first <= dated.date <= last and slot.runs_on(dated.date)
        and slot.id not in skipped.get(dated.date, set())
    ]
    return sorted(exceptions + playlists, key=lambda change: change.day)
