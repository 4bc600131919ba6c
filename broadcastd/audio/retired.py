"""Recordings replaced with `audio add --replace`: how long the old file stays served.

The daemon sends a broadcast's `play` at most `delivery.lead_time_s` before its start,
and a broadcast lasts at most 24 hours (a slot cannot cross midnight; an announcement
is capped at 24 h). A broadcast sent before the swap therefore ends, and stops fetching
the old file, within lead time + 24 h of it: that is how long the old file is kept.
Broadcasts sent after the swap carry the new file.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from broadcastd.audio.catalogue import Catalogue, RetiredFile

LONGEST_BROADCAST = timedelta(hours=24)
DEFAULT_LEAD_TIME_S = 120.0
"""`delivery.lead_time_s` when no configuration says otherwise (see settings.py)."""


def retention(lead_time_s: float = DEFAULT_LEAD_TIME_S) -> timedelta:
    """How long a replaced file stays served: the lead time plus the longest broadcast."""
    return timedelta(seconds=lead_time_s) + LONGEST_BROADCAST


def delete_expired(catalogue: Catalogue, expired: list[RetiredFile]) -> None:
    """Delete the files of retired entries `Catalogue.prune` dropped, once the catalogue
    without them is saved, unless an item or the speech cache holds the same file.
    A file that cannot be deleted stays as an orphan `audio check` reports."""
    from broadcastd.speech.cache import cached_files  # the speech cache imports the importer

    keep = catalogue.served_files() | cached_files(catalogue.library_dir)
    for gone in expired:
        if gone.file not in keep:
            try:
                (Path(catalogue.library_dir) / gone.file).unlink(missing_ok=True)
            except OSError:
                pass
