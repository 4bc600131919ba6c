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
    """Library items become URLs on this server (with sha256 and duration); streams pass,
    with their `fallback` resolved to a file item the clusters fetch ahead (contract 1.1)."""

    catalogue: Callable[[], Catalogue]
    public_base_url: str

    def items(self, playlist: Sequence[Item], broadcast_id: str) -> tuple[PlayItem, ...]:
        catalogue = self.catalogue()
        resolved: list[PlayItem] = []
        for position, item in enumerate(playlist):
            if item.stream is not None:
                fallback = None
                if item.fallback is not None:
                    fallback = self._file(catalogue, item.fallback, None, broadcast_id, position)
                resolved.append(
                    PlayItem(
                        "stream",
                        item.stream,
                        float(item.duration_s or 0),
                        None,
                        item.title,
                        fallback=fallback,
                    )
                )
                continue
            file = self._file(catalogue, item.audio or "", item.title, broadcast_id, position)
            if file is not None:
                resolved.append(file)
        return tuple(resolved)

    def _file(
        self, catalogue: Catalogue, name: str, title: str | None, broadcast_id: str, position: int
    ) -> PlayItem | None:
        entry = catalogue.get(name)
        if entry is None:
            # Validation refuses such timetables; if the library changed since, play the
            # rest rather than nothing (a stream without its fallback), and say so loudly.
            log.error(
                "audio item missing from library; skipped",
                broadcast_id=broadcast_id,
                item=position,
                audio=name,
            )
            return None
        return PlayItem(
            kind="file",
            url=f"{self.public_base_url}/audio/{entry.file}",
            duration_s=entry.duration_s,
            sha256=entry.sha256,
            title=title or entry.title,
        )
