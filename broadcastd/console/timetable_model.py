"""What the timetable page shows: each commune's next seven days, as plain dataclasses the
template only prints.

Pure given its inputs: the occurrences are the daemon's own plan (`DaemonView.upcoming`,
the same list GET /schedule gives), the dated exceptions `DaemonView.day_changes`, the
problems the daemon's `validate` wording of the timetable files. Nothing is planned here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from broadcastd.api.views import CommuneTopology, DayChangeView, OccurrenceView, PlannedItem
from broadcastd.console.model import TIME
from broadcastd.timetable.priority import priority_name

DAYS = 7
HOURS = DAYS * 24.0
"""How far ahead the page asks the daemon's plan: a week (the most /schedule allows)."""


@dataclass(frozen=True)
class ItemLine:
    name: str
    title: str
    length: str


@dataclass(frozen=True)
class SlotLine:
    broadcast_id: str
    slot: str
    time: str
    title: str
    everywhere: bool
    """Every area of the commune hears it."""
    target: list[str]
    """Names of the areas it plays in whole, then any further clusters by id."""
    priority: str
    items: list[ItemLine]
    added: bool
    """A one-off slot of a dated exception."""
    replaced: bool
    """Its dated playlist (`on:`) plays that day instead of the usual one."""
    cancelled: bool


@dataclass(frozen=True)
class DayNote:
    """A dated exception of the day, in words."""

    skipped: list[str]
    added: list[str]
    replaced: list[str]
    """Titles of the slots playing their dated playlist."""
    note: str


@dataclass(frozen=True)
class DayLine:
    day: str
    weekday: str
    today: bool
    slots: list[SlotLine]
    notes: list[DayNote]


@dataclass(frozen=True)
class CommuneWeek:
    commune: str
    name: str
    days: list[DayLine]


@dataclass(frozen=True)
class TimetablePage:
    chosen: str
    """The commune asked for (`?commune=`), or "" for every commune."""
    choices: list[tuple[str, str]]
    """(id, name) of every commune, for the chooser."""
    problems: list[str]
    """The timetable files' problems (of the chosen commune's file only, if one is)."""
    weeks: list[CommuneWeek]


def timetable_page(
    communes: list[CommuneTopology],
    chosen: str,
    upcoming: list[OccurrenceView],
    cancelled: set[str],
    changes: list[DayChangeView],
    problems: list[str],
    now: datetime,
    words: dict[str, str],
) -> TimetablePage:
    """`chosen` must be "" or one of `communes` (the route refuses others)."""
    shown = [c for c in communes if not chosen or c.commune == chosen]
    mine = problems if not chosen else [p for c in shown for p in problems_of(problems, c.file)]
    return TimetablePage(
        chosen=chosen,
        choices=[(c.commune, c.name) for c in communes],
        problems=mine,
        weeks=[
            _week(c, [o for o in upcoming if o.commune == c.commune], cancelled,
                  [x for x in changes if x.commune == c.commune], now, words)
            for c in shown
        ],
    )


def problems_of(problems: list[str], file: str) -> list[str]:
    """The problems of one timetable file: `validate` starts each with its path."""
    return [p for p in problems if file and p.startswith(f"{file}:")]


def _week(
    commune: CommuneTopology,
    upcoming: list[OccurrenceView],
    cancelled: set[str],
    changes: list[DayChangeView],
    now: datetime,
    words: dict[str, str],
) -> CommuneWeek:
    today = now.astimezone(ZoneInfo(commune.timezone)).date()
    days = [today + timedelta(days=n) for n in range(DAYS)]
    return CommuneWeek(
        commune=commune.commune,
        name=commune.name,
        days=[_day(commune, day, today, upcoming, cancelled, changes, words) for day in days],
    )


def _day(
    commune: CommuneTopology,
    day: date,
    today: date,
    upcoming: list[OccurrenceView],
    cancelled: set[str],
    changes: list[DayChangeView],
    words: dict[str, str],
) -> DayLine:
    mine = [c for c in changes if c.day == day]
    added = {slot for c in mine for slot in c.added}
    replaced = {slot for c in mine for slot in c.replaced}
    planned = [o for o in sorted(upcoming, key=lambda o: (o.start, o.slot))
               if o.start.date() == day]
    titles = {o.slot: o.title for o in planned}
    return DayLine(
        day=day.isoformat(),
        weekday=words[f"weekday.{day.weekday()}"],
        today=day == today,
        slots=[
            _slot(commune, o, o.slot in added, o.slot in replaced,
                  o.broadcast_id in cancelled, words)
            for o in planned
        ],
        notes=[
            DayNote(list(c.skipped), list(c.added),
                    [titles.get(slot, slot) for slot in c.replaced], c.note or "")
            for c in mine
        ],
    )


def _slot(
    commune: CommuneTopology,
    occurrence: OccurrenceView,
    added: bool,
    replaced: bool,
    cancelled: bool,
    words: dict[str, str],
) -> SlotLine:
    everywhere, target = target_names(commune, occurrence.clusters)
    word = priority_name(occurrence.priority)
    return SlotLine(
        broadcast_id=occurrence.broadcast_id,
        slot=occurrence.slot,
        time=f"{occurrence.start:{TIME}}–{occurrence.end:{TIME}}",
        title=occurrence.title,
        everywhere=everywhere,
        target=target,
        priority=words.get(f"priority.{word}", word),
        items=[_item(item, words) for item in occurrence.playlist],
        added=added,
        replaced=replaced,
        cancelled=cancelled,
    )


def target_names(commune: CommuneTopology, clusters: list[str]) -> tuple[bool, list[str]]:
    """Whether every area hears it, and the names of the areas it plays in whole followed
    by the ids of clusters it plays on elsewhere, in timetable order."""
    chosen = set(clusters)
    whole = [area for area, members in commune.areas.items() if set(members) <= chosen]
    covered = {cluster for area in whole for cluster in commune.areas[area]}
    names = [commune.area_names.get(area, area) for area in whole]
    rest = [cluster for cluster in clusters if cluster not in covered]
    return len(whole) == len(commune.areas) and not rest, names + rest


def _item(item: PlannedItem, words: dict[str, str]) -> ItemLine:
    length = words["unknown_length"] if item.duration_s is None else clock(item.duration_s)
    return ItemLine(item.name, item.title, length)


def clock(seconds: float) -> str:
    """`3:05`, or `1:02:05` from an hour up: how long an item plays."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"
