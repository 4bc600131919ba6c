"""Announcements: a "play now" (or at a given time) outside the timetables.

A request (`model.py`) becomes an ordinary `Occurrence` (`plan.py`, pure), is kept in a
table so that a restart rejoins it (`persist.py`), and goes through the same scheduler
and dispatcher as every slot (`service.py`). `cli.py` is `broadcastd announce / stop /
cancel`, which talk to the running daemon over HTTP.
"""

from broadcastd.announce.model import AnnouncementRequest, AnnouncementResult, StopRequest
from broadcastd.announce.plan import AnnouncementRefused, to_occurrence
from broadcastd.timetable.priority import priority_value

__all__ = [
    "AnnouncementRefused",
    "AnnouncementRequest",
    "AnnouncementResult",
    "StopRequest",
    "priority_value",
    "to_occurrence",
]
