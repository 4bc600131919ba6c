"""Occurrence planning: which broadcasts exist, given timetables and an instant. Pure."""

from broadcastd.planning.occurrences import (
    Occurrence,
    broadcast_id,
    live_at,
    next_occurrence,
    occurrences,
    plan,
)

__all__ = ["Occurrence", "broadcast_id", "live_at", "next_occurrence", "occurrences", "plan"]
