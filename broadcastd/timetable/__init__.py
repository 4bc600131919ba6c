"""Timetables: the YAML model officials write, how it is loaded, and how it is checked."""

from broadcastd.timetable.loader import (
    LoadedTimetable,
    TimetableSet,
    find_uses,
    load_timetables,
)
from broadcastd.timetable.model import (
    Area,
    Commune,
    DatedException,
    Item,
    Slot,
    SlotBody,
    Target,
    Timetable,
)
from broadcastd.timetable.problems import Problem

__all__ = [
    "Area",
    "Commune",
    "DatedException",
    "Item",
    "LoadedTimetable",
    "Problem",
    "Slot",
    "SlotBody",
    "Target",
    "Timetable",
    "TimetableSet",
    "find_uses",
    "load_timetables",
]
