"""Turning a slot's playlist into the items of a `play` command."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog

from broadcastd.audio.catalogue import Catalogue
from broadcastd.contract.messages import PlayItem
from broadcastd.timetable.model import Item

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class PlaylistResolver:
    """Library items become URLs on this server (with sha256 and duration); streams pass."""

    catalogue: Callable[[], Catalogue]
    public_base_url: str

    def items(self, playlist: Sequence[Item], broadcast_id: str) -> tuple[PlayItem, ...]:
        catalogue = self.catalogue()
        resolved: list[PlayItem] = []
        for position, item in enumerate(playlist):
            if item.stream is not None:
                resolved.append(
                    PlayItem("stream", item.stream, float(item.duration_s or 0), None, item.title)
                )
                continue
            entry = catalogue.get(item.audio or "")
            if entry is None:
                # Validation refuses such timetables; if the library changed since, play
                # the rest rather than nothing, and say so loudly.
                log.error(
                    "audio item missing from library; skipped",
                    broadcast_id=broadcast_id,
                    item=position,
                    audio=item.audio,
                )
                continue
            resolved.append(
                PlayItem(
                    kind="file",
                    url=f"{self.public_base_url}/audio/{entry.file}",
                    duration_s=entry.duration_s,
                    sha256=entry.sha256,
                    title=item.title or entry.title,
                )
            )
        return tuple(resolved)
