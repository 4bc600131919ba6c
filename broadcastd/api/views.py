"""What the daemon shows the HTTP API: plain dataclasses, no web framework, so the daemon
can build them without importing FastAPI."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class HealthReport:
    """The daemon's own view of its workers; the database check is the API's."""

    scheduler_running: bool
    broker_connected: bool
    timetables_ok: bool
    problems: list[str] = field(default_factory=list)
    timetable_problems: list[str] = field(default_factory=list)
    """The timetable files' own problems (part of `problems`), worded as `validate` does."""


@dataclass(frozen=True)
class CommuneTopology:
    """A commune as its timetable declares it: areas and the clusters in each."""

    commune: str
    name: str
    timezone: str
    areas: dict[str, list[str]]
    area_names: dict[str, str] = field(default_factory=dict)
    """What people call each area (`khu-7` -> `Khu 7`), for pages; ids where absent."""
    file: str = ""
    """The timetable file it runs from (its problems start with this path)."""


@dataclass(frozen=True)
class PlannedItem:
    """One playlist item as people know it: its library name (or stream URL), title and
    length (None: unknown, an item missing from the library)."""

    name: str
    title: str
    duration_s: float | None


@dataclass(frozen=True)
class DayChangeView:
    """A dated exception: regular slots skipped (by title) and one-off slots added (ids);
    or slots playing their dated playlist that day (ids)."""

    commune: str
    day: date
    skipped: list[str]
    added: list[str]
    note: str | None
    replaced: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class OccurrenceView:
    """One planned broadcast; `start` and `end` are aware, in the commune's time zone."""

    broadcast_id: str
    commune: str
    slot: str
    title: str
    start: datetime
    end: datetime
    clusters: list[str]
    priority: int
    volume: int
    items: list[str]
    playlist: list[PlannedItem] = field(default_factory=list)
    """The items with titles and lengths, for the console's timetable."""
