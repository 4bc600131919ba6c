"""The running daemon as the HTTP API sees it (implements `api.deps.DaemonView`)."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING

from broadcastd.api.views import (
    CommuneTopology,
    DayChangeView,
    HealthReport,
    OccurrenceView,
    PlannedItem,
)
from broadcastd.audio.catalogue import Catalogue
from broadcastd.i18n import _
from broadcastd.planning.exceptions import day_changes
from broadcastd.planning.occurrences import Occurrence
from broadcastd.timetable.model import Item

if TYPE_CHECKING:
    from broadcastd.daemon.runtime import Daemon, TimetableState


class LiveView:
    def __init__(self, daemon: Daemon) -> None:
        self._daemon = daemon
        self._topology: tuple[TimetableState, list[CommuneTopology]] | None = None

    def health(self) -> HealthReport:
        daemon = self._daemon
        problems = list(daemon.state.problems)
        scheduler_running = daemon.scheduler is not None and daemon.scheduler.running
        broker_connected = daemon.link is not None and daemon.link.connected
        if not scheduler_running:
            problems.append(_("scheduler is not running"))
        if not broker_connected:
            problems.append(_("not connected to the MQTT broker at {url}").format(
                url=daemon.settings.broker.url))
        return HealthReport(
            scheduler_running=scheduler_running,
            broker_connected=broker_connected,
            timetables_ok=not daemon.state.problems,
            problems=problems,
            timetable_problems=list(daemon.state.problems),
        )

    def topology(self) -> list[CommuneTopology]:
        """The same list until the timetables change: `/status` keeps its answers while
        it gets the same list (a reload makes a new `state`, so a new list)."""
        state = self._daemon.state
        if self._topology is None or self._topology[0] is not state:
            self._topology = (state, [
                CommuneTopology(
                    commune=timetable.commune.id,
                    name=timetable.commune.name,
                    timezone=timetable.commune.timezone,
                    areas={area.id: list(area.clusters) for area in timetable.areas},
                    area_names={area.id: area.name for area in timetable.areas},
                    file=str(state.files.get(timetable.commune.id, "")),
                )
                for timetable in state.timetables
            ])
        return self._topology[1]

    def upcoming(self, hours: float) -> list[OccurrenceView]:
        catalogue = self._daemon.catalogue()
        return [_occurrence_view(occ, catalogue) for occ in self._daemon.upcoming(hours)]

    def day_changes(self, hours: float) -> list[DayChangeView]:
        now = self._daemon.clock()
        return [
            DayChangeView(c.commune, c.day, list(c.skipped), list(c.added), c.note,
                          list(c.replaced))
            for timetable in self._daemon.state.timetables
            for c in day_changes(timetable, now, now + timedelta(hours=hours))
        ]

    def cancel(self, broadcast_id: str, *, by: str, reason: str | None = None) -> bool:
        return self._daemon.cancel(broadcast_id, by=by, reason=reason)


def _occurrence_view(occ: Occurrence, catalogue: Catalogue) -> OccurrenceView:
    return OccurrenceView(
        broadcast_id=occ.broadcast_id,
        commune=occ.commune,
        slot=occ.slot,
        title=occ.title,
        start=occ.start,
        end=occ.end,
        clusters=list(occ.clusters),
        priority=occ.priority,
        volume=occ.volume,
        items=[item.audio or item.stream or _text_label(item.title, item.text)
               for item in occ.playlist],
        playlist=[_planned_item(item, catalogue) for item in occ.playlist],
    )


def _planned_item(item: Item, catalogue: Catalogue) -> PlannedItem:
    """A library item's title and length from the catalogue; a stream's from the YAML;
    a text item by its title or words (its speech's length is the speech cache's)."""
    if item.audio is not None:
        entry = catalogue.get(item.audio)
        return PlannedItem(item.audio, entry.title if entry else item.title or "",
                           entry.duration_s if entry else None)
    if item.text is not None:
        return PlannedItem(_text_label(item.title, item.text), item.title or "", None)
    return PlannedItem(item.stream or "", item.title or "", item.stream_s)


def _text_label(title: str | None, text: str | None) -> str:
    """A text item as listed: its title, else the beginning of its text."""
    if title:
        return title
    return f"text: {text[:60]}…" if text and len(text) > 60 else f"text: {text or ''}"
