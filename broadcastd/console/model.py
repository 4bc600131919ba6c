"""What the console's pages show, built as plain dataclasses the templates only print.

Pure given its inputs: the pages route reads the store and the daemon's view with the
same queries the API's routes use and hands the results, already turned into the API's
models by `api.present`, to these functions. Nothing here decides a state or an
outcome: `Store.outcomes` and `present` did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from broadcastd.api.models import Broadcast, BroadcastDetail, CommuneStatus, DeliveryState
from broadcastd.api.views import CommuneTopology, OccurrenceView
from broadcastd.console.words import SYMBOLS, Lang, cell_word
from broadcastd.timetable.priority import priority_name

TIME = "%H:%M"
STAMP = "%H:%M:%S"
SHOWN_STATES = {
    DeliveryState.playing: "playing",
    DeliveryState.suspended: "suspended",
    DeliveryState.finished: "played",
    DeliveryState.stopped: "cancelled",
    DeliveryState.failed: "failed",
}
"""The cell of a cluster's last ack while the broadcast is still on (no outcome yet):
a cluster that finished early has played; one sent `stop` is cancelled there."""


@dataclass(frozen=True)
class Cell:
    """What one cluster did with one broadcast; `key` names a colour and a word."""

    key: str
    word: str
    symbol: str
    detail: str = ""


@dataclass(frozen=True)
class Column:
    broadcast_id: str
    title: str
    start: str
    end: str
    cancelled: bool


@dataclass(frozen=True)
class Row:
    area: str
    area_first: bool
    """The first row of its area: the template writes the area's name there."""
    area_rows: int
    cluster: str
    offline: bool
    cells: list[Cell | None]
    """One per column, None where the broadcast does not target this cluster."""


@dataclass(frozen=True)
class CommuneDay:
    commune: str
    name: str
    day: str
    columns: list[Column]
    rows: list[Row]


@dataclass(frozen=True)
class Planned:
    """A broadcast of today: from the store once recorded, else from the timetable."""

    broadcast_id: str
    title: str
    start: datetime
    end: datetime
    cancelled: bool
    cells: dict[str, Cell]


def cell_of(state: DeliveryState, outcome: str | None, lang: Lang, detail: str = "") -> Cell:
    """Its outcome once the broadcast is over, else what its last ack says."""
    key = outcome if outcome is not None else SHOWN_STATES.get(state, "pending")
    return Cell(key, cell_word(key, lang), SYMBOLS[key], detail)


def planned_from_store(item: Broadcast, lang: Lang) -> Planned:
    cells = {
        c.cluster: cell_of(c.state, c.outcome.value if c.outcome else None, lang,
                           c.outcome_detail or c.detail or "")
        for c in item.clusters
    }
    return Planned(item.broadcast_id, item.title, item.start, item.end, item.cancelled, cells)


def planned_from_timetable(occurrence: OccurrenceView, lang: Lang) -> Planned:
    """Not yet sent: every target cluster pending."""
    pending = cell_of(DeliveryState.pending, None, lang)
    return Planned(occurrence.broadcast_id, occurrence.title, occurrence.start,
                   occurrence.end, False, dict.fromkeys(occurrence.clusters, pending))


def commune_day(
    commune: CommuneTopology, status: CommuneStatus, day: date, planned: list[Planned]
) -> CommuneDay:
    """Areas and their clusters down, today's broadcasts across, in start order."""
    ordered = sorted(planned, key=lambda p: (p.start, p.broadcast_id))
    offline = {c.cluster for c in status.clusters or [] if not c.online}
    rows = [
        Row(commune.area_names.get(area, area), index == 0, len(members), cluster,
            cluster in offline,
            [p.cells.get(cluster) for p in ordered])
        for area, members in commune.areas.items()
        for index, cluster in enumerate(members)
    ]
    columns = [
        Column(p.broadcast_id, p.title, f"{p.start:{TIME}}", f"{p.end:{TIME}}", p.cancelled)
        for p in ordered
    ]
    return CommuneDay(commune.commune, commune.name, day.isoformat(), columns, rows)


@dataclass(frozen=True)
class Line:
    """A row of a table on the broadcast page, already in words."""

    values: list[str]


@dataclass(frozen=True)
class ClusterLine:
    cluster: str
    area: str
    cell: Cell
    acks: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class BroadcastPage:
    broadcast_id: str
    title: str
    commune: str
    day: str
    start: str
    end: str
    priority: str
    target: list[str]
    playlist: list[str]
    cancelled: bool
    cancelled_by: str
    cancel_reason: str
    changes: list[Line]
    clusters: list[ClusterLine]
    stoppable: bool
    """Not over nor cancelled: the stop form is offered (to an operator)."""


def broadcast_page(
    detail: BroadcastDetail, words: dict[str, str], lang: Lang, now: datetime,
    playlist: list[str],
) -> BroadcastPage:
    acks: dict[str, list[str]] = {}
    for event in detail.ack_events:
        item = f" #{event.item}" if event.item is not None else ""
        extra = f" ({event.detail})" if event.detail else ""
        acks.setdefault(event.cluster, []).append(
            f"{event.received_at:{STAMP}} {event.state.value}{item}{extra}"
        )
    clusters = [
        ClusterLine(
            c.cluster, c.area or "",
            cell_of(c.state, c.outcome.value if c.outcome else None, lang,
                    c.outcome_detail or c.detail or ""),
            acks.get(c.cluster, []),
        )
        for c in detail.clusters
    ]
    changes = [
        Line([f"{c.at:%Y-%m-%d {STAMP}}", c.by, c.action, c.reason or words["none"]])
        for c in detail.changes
    ]
    word = priority_name(detail.priority)
    return BroadcastPage(
        broadcast_id=detail.broadcast_id,
        title=detail.title,
        commune=detail.commune,
        day=detail.date.isoformat(),
        start=f"{detail.start:{STAMP}}",
        end=f"{detail.end:{STAMP}}",
        priority=words.get(f"priority.{word}", word),
        target=[c.cluster for c in detail.clusters],
        playlist=playlist,
        cancelled=detail.cancelled,
        cancelled_by=detail.cancelled_by or "",
        cancel_reason=detail.cancel_reason or "",
        changes=changes,
        clusters=clusters,
        stoppable=not detail.cancelled and now < detail.end,
    )
