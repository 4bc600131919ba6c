"""The running daemon as the HTTP API sees it (implements `api.deps.DaemonView`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from broadcastd.api.views import CommuneTopology, HealthReport, OccurrenceView
from broadcastd.planning.occurrences import Occurrence

if TYPE_CHECKING:
    from broadcastd.daemon.runtime import Daemon


class LiveView:
    def __init__(self, daemon: Daemon) -> None:
        self._daemon = daemon

    def health(self) -> HealthReport:
        daemon = self._daemon
        problems = list(daemon.state.problems)
        scheduler_running = daemon.scheduler is not None and daemon.scheduler.running
        broker_connected = daemon.link is not None and daemon.link.connected
        if not scheduler_running:
            problems.append("scheduler is not running")
        if not broker_connected:
            problems.append(f"not connected to the MQTT broker at {daemon.settings.broker.url}")
        return HealthReport(
            scheduler_running=scheduler_running,
            broker_connected=broker_connected,
            timetables_ok=not daemon.state.problems,
            problems=problems,
        )

    def topology(self) -> list[CommuneTopology]:
        return [
            CommuneTopology(
                commune=timetable.commune.id,
                name=timetable.commune.name,
                timezone=timetable.commune.timezone,
                areas={area.id: list(area.clusters) for area in timetable.areas},
                area_names={area.id: area.name for area in timetable.areas},
            )
            for timetable in self._daemon.state.timetables
        ]

    def upcoming(self, hours: float) -> list[OccurrenceView]:
        return [_occurrence_view(occ) for occ in self._daemon.upcoming(hours)]

    def cancel(self, broadcast_id: str, *, by: str, reason: str | None = None) -> bool:
        return self._daemon.cancel(broadcast_id, by=by, reason=reason)


def _occurrence_view(occ: Occurrence) -> OccurrenceView:
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
    )


def _text_label(title: str | None, text: str | None) -> str:
    """A text item as listed: its title, else the beginning of its text."""
    if title:
        return title
    return f"text: {text[:60]}…" if text and len(text) > 60 else f"text: {text or ''}"
