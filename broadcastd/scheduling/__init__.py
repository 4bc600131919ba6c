"""Scheduling: APScheduler jobs built from the plan, never from a pickled job store."""

from broadcastd.scheduling.scheduler import BroadcastScheduler

__all__ = ["BroadcastScheduler"]
