"""The demo switch: today's slots, moved to begin within the minute.

A newcomer should watch broadcasts go out and acks come back without waiting for
05:30. Each commune gets one-off slots for today, `demo-<HHMM>-<slot>`, one after the other
from `first_in` on, each as long as the real slot but at most `longest`, with the real
playlist, targets, volume and priority. The real slots are left as they are (their
ids differ, and carry the demo's start, so a second demo run is a new broadcast). Pure.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from broadcastd.timetable.model import DatedException, SlotBody, Timetable


def demo_timetable(
    timetable: Timetable,
    now: datetime,
    first_in: timedelta = timedelta(seconds=30),
    longest: timedelta = timedelta(minutes=2),
    gap: timedelta = timedelta(seconds=10),
) -> Timetable:
    zone = timetable.commune.zone
    start = (now + first_in).astimezone(zone).replace(microsecond=0)
    additions: dict[datetime, list[SlotBody]] = {}
    for slot in _distinct(timetable):
        length = min(timedelta(seconds=slot.length_s), longest)
        if (start + length).date() != start.date():  # a slot may not cross midnight
            start = datetime.combine(start.date() + timedelta(days=1), datetime.min.time(), zone)
        day = datetime.combine(start.date(), datetime.min.time(), zone)
        moved = slot.model_copy(
            update={
                "id": f"demo-{start:%H%M}-{slot.id}"[:63],
                "title": f"[demo] {slot.title or slot.id}",
                "start": start.time(),
                "end": (start + length).time(),
            }
        )
        additions.setdefault(day, []).append(moved)
        start = start + length + gap
    exceptions = list(timetable.exceptions) + [
        DatedException(date=day.date(), add=slots, note="demo") for day, slots in additions.items()
    ]
    return timetable.model_copy(update={"exceptions": exceptions})


def _distinct(timetable: Timetable) -> list[SlotBody]:
    """Each regular slot once, as SlotBody (the demo copies carry no weekdays and no
    dated playlists)."""
    return [
        SlotBody.model_validate(slot.model_dump(exclude={"days", "on"}))
        for slot in timetable.slots
    ]
