"""Timetables: the YAML model officials write, how it is loaded, and how it is checked."""

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

__all__ = [
    "Area",
    "Commune",
    "DatedException",
    "Item",
    "Slot",
    "SlotBody",
    "Target",
    "Timetable",
]
