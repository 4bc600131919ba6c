"""Turning a slot's playlist into the items of a `play` command."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

import structlog

from broadcastd.audio.catalogue import Catalogue
from broadcastd.contract.messages import PlayItem
from broadcastd.speech.cache import Speech
from broadcastd.timetable.model import Item

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True)
class PlaylistResolver:
    """Library items become URLs on this server (with sha256 and duration); streams pass,
    with their `fallback` resolved to a file item the clusters fetch ahead (contract 1.1).
    A text item is its speech's file, spoken when the timetable or announcement was
    loaded: `spoken(text)` finds it in the speech cache (it never synthesises)."""

    catalogue: Callable[[], Catalogue]
    public_base_url: str
    spoken: Callable[[str], Speech | None] = field(default=lambda text: None)

    def items(
        self, playlist: Sequence[Item], broadcast_id: str, length_s: float
    ) -> tuple[PlayItem, ...]:
        """The `play` items; a last stream that fills the rest of the window (`length_s`
        long) is given what the items before it leave."""
        resolved = self._resolved(playlist, broadcast_id)
        if playlist and playlist[-1].fills_rest and resolved and resolved[-1].kind == "stream":
            before = sum(item.duration_s for item in resolved[:-1])
            resolved[-1] = replace(resolved[-1], duration_s=max(length_s - before, 0.0))
        return tuple(resolved)

    def _resolved(self, playlist: Sequence[Item], broadcast_id: str) -> list[PlayItem]:
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
                        item.stream_s or 0.0,
                        None,
                        item.title,
                        fallback=fallback,
                    )
                )
                continue
            if item.text is not None:
                file = self._speech(item.text, item.title, broadcast_id, position)
            else:
                file = self._file(catalogue, item.audio or "", item.title, broadcast_id, position)
            if file is not None:
                resolved.append(file)
        return resolved

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
        return self._file_item(entry.file, entry.duration_s, entry.sha256, title or entry.title)

    def _speech(
        self, text: str, title: str | None, broadcast_id: str, position: int
    ) -> PlayItem | None:
        speech = self.spoken(text)
        if speech is None:
            # Loading spoke it; a cache emptied since must not stop the rest of the playlist.
            log.error("speech of a text item missing from the library; skipped",
                      broadcast_id=broadcast_id, item=position, text=text[:80])
            return None
        return self._file_item(speech.file, speech.duration_s, speech.sha256, title)

    def _file_item(
        self, file: str, duration_s: float, sha256: str, title: str | None
    ) -> PlayItem:
        return PlayItem(
            kind="file",
            url=f"{self.public_base_url}/audio/{file}",
            duration_s=duration_s,
            sha256=sha256,
            title=title,
        )
