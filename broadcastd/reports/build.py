"""A plan-vs-actual report: one row per (broadcast, cluster), and its summaries.

The rows come from the store's `outcomes_between` (the one copy of the outcome rules) and
`delivery_times_between` (first ack times and sends, in one SQL pass); areas and time
zones from the timetables, as the daemon sees them now.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Protocol
from zoneinfo import ZoneInfo

from broadcastd.reports.words import NOT_OVER, Lang, refusal_text
from broadcastd.store import Outcome, Store
from broadcastd.store.queries import DeliveryTimes

MAX_DAYS = 366
"""The longest range one report covers: a year, leap or not."""


class CommuneAreas(Protocol):
    """What a report needs of a commune's timetable (`CommuneTopology` has it)."""

    @property
    def commune(self) -> str: ...
    @property
    def timezone(self) -> str: ...
    @property
    def areas(self) -> dict[str, list[str]]: ...


class ReportRefused(ValueError):
    """A report that cannot be made as asked; the message says why and what to send
    (in English for the API; `text(lang)` for a page)."""

    def __init__(self, reason: str, **values: object) -> None:
        self.reason, self.values = reason, values
        super().__init__(refusal_text(reason, values, "en"))

    def text(self, lang: Lang) -> str:
        return refusal_text(self.reason, self.values, lang)


@dataclass(frozen=True)
class ReportQuery:
    first: date
    last: date
    """Commune-local dates, both included."""
    commune: str | None = None
    area: str | None = None


@dataclass(frozen=True)
class DeliveryRow:
    """What one cluster did with one broadcast; times aware, in the commune's zone."""

    commune: str
    area: str | None
    cluster: str
    broadcast_id: str
    slot: str
    title: str
    priority: int
    date: date
    start: datetime
    end: datetime
    outcome: Outcome | None
    """None while the broadcast is not over."""
    detail: str
    received: datetime | None
    playing: datetime | None
    finished: datetime | None
    sends: int


@dataclass
class Tally:
    """Deliveries counted by outcome (`pending`: not over yet)."""

    counts: Counter[str] = field(default_factory=Counter)

    def add(self, row: DeliveryRow) -> None:
        self.counts["planned"] += 1
        self.counts[row.outcome if row.outcome is not None else NOT_OVER] += 1

    @property
    def planned(self) -> int:
        return self.counts["planned"]

    def count(self, key: str) -> int:
        return self.counts[key]

    @property
    def share_played(self) -> float | None:
        """Played over what was due: cancelled and not-over deliveries are not counted
        against a cluster; None when nothing was due."""
        due = self.planned - self.counts[Outcome.cancelled] - self.counts[NOT_OVER]
        return self.counts[Outcome.played] / due if due else None


@dataclass(frozen=True)
class ClusterSummary:
    commune: str
    area: str | None
    cluster: str
    tally: Tally


@dataclass(frozen=True)
class DayTotal:
    date: date
    tally: Tally


@dataclass(frozen=True)
class Report:
    query: ReportQuery
    rows: list[DeliveryRow]

    def clusters(self) -> list[ClusterSummary]:
        """Per cluster, by commune, area and cluster."""
        found: dict[tuple[str, str | None, str], Tally] = {}
        for row in self.rows:
            found.setdefault((row.commune, row.area, row.cluster), Tally()).add(row)
        return [
            ClusterSummary(commune, area, cluster, tally)
            for (commune, area, cluster), tally in sorted(
                found.items(), key=lambda kv: (kv[0][0], kv[0][1] or "", kv[0][2])
            )
        ]

    def total(self) -> Tally:
        """Every row counted once: the range's plan against what was done."""
        tally = Tally()
        for row in self.rows:
            tally.add(row)
        return tally

    def communes(self) -> dict[str, Tally]:
        """Per commune, its rows counted."""
        found: dict[str, Tally] = {}
        for row in self.rows:
            found.setdefault(row.commune, Tally()).add(row)
        return found

    def days(self) -> list[DayTotal]:
        """Per commune-local day of the range, every day, even one without broadcasts."""
        found = {self.query.first + timedelta(days=n): Tally() for n in range(_days(self.query))}
        for row in self.rows:
            found[row.date].add(row)
        return [DayTotal(day, tally) for day, tally in found.items()]


def worst_clusters(summaries: Sequence[ClusterSummary], count: int) -> list[ClusterSummary]:
    """The `count` clusters that played least of what was due, lowest share first (more
    missed first on a tie): the ones to send a technician to. Clusters that played all
    that was due, or had nothing due, are never listed."""
    below = [s for s in summaries if s.tally.share_played is not None
             and s.tally.share_played < 1]
    return sorted(below, key=lambda s: (s.tally.share_played, -s.tally.count(Outcome.missed),
                                        s.commune, s.area or "", s.cluster))[:count]


def check_query(
    first: str,
    last: str,
    commune: str | None,
    area: str | None,
    communes: Sequence[CommuneAreas],
) -> ReportQuery:
    """The query, or ReportRefused with the reason and the fix."""
    query = ReportQuery(_date("from", first), _date("to", last), commune or None, area or None)
    if query.last < query.first:
        raise ReportRefused("to_before_from", first=query.first, last=query.last)
    if _days(query) > MAX_DAYS:
        raise ReportRefused("too_long", days=_days(query), most=MAX_DAYS)
    known = {c.commune: c for c in communes}
    if query.commune is not None and query.commune not in known:
        raise ReportRefused("no_commune", commune=query.commune, known=sorted(known))
    if query.area is not None:
        scope = [known[query.commune]] if query.commune is not None else list(communes)
        areas = sorted({a for c in scope for a in c.areas})
        if query.area not in areas:
            if query.commune is None:
                raise ReportRefused("no_area_anywhere", area=query.area, known=areas)
            raise ReportRefused("no_area_in", area=query.area, commune=query.commune,
                                known=areas)
    return query


def build_report(
    store: Store, communes: Sequence[CommuneAreas], query: ReportQuery, now: datetime,
    *, ack_times: bool = True,
) -> Report:
    """The rows of `query`, by planned start, then commune, area and cluster.

    `ack_times=False` leaves the rows' ack times and sends empty (a summary, which
    counts outcomes only, need not read them)."""
    zones = {c.commune: ZoneInfo(c.timezone) for c in communes}
    areas = {(c.commune, k): a for c in communes for a, ks in c.areas.items() for k in ks}
    # Local dates of any zone fall within a day of UTC's: fetch a day more on each side
    # and keep the occurrences whose own (commune-local) date is in the range.
    since, until = _shifted(query.first, -1), _shifted(query.last, 2)
    found = store.outcomes_between(since, until, now, query.commune)
    times = store.delivery_times_between(since, until, query.commune) if ack_times else {}
    rows: list[DeliveryRow] = []
    for entry in found:
        view = entry.broadcast
        if not query.first <= view.date <= query.last:
            continue
        zone = zones.get(view.commune, ZoneInfo("UTC"))
        batch = []
        for cluster, outcome in entry.outcomes.items():
            area = areas.get((view.commune, cluster))
            if query.area is not None and area != query.area:
                continue
            acks = times.get((view.broadcast_id, cluster), NO_TIMES)
            batch.append(DeliveryRow(
                commune=view.commune,
                area=area,
                cluster=cluster,
                broadcast_id=view.broadcast_id,
                slot=view.slot,
                title=view.title,
                priority=view.priority,
                date=view.date,
                start=view.start.astimezone(zone),
                end=view.end.astimezone(zone),
                outcome=outcome.outcome if outcome is not None else None,
                detail=outcome.detail if outcome is not None else "",
                received=_local(acks.received, zone),
                playing=_local(acks.playing, zone),
                finished=_local(acks.finished, zone),
                sends=acks.sends,
            ))
        rows.extend(sorted(batch, key=lambda r: (r.area or "", r.cluster)))
    return Report(query, rows)


NO_TIMES = DeliveryTimes(0, None, None, None)


def _date(name: str, text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ReportRefused("not_a_date", field=name, text=text) from None


def _days(query: ReportQuery) -> int:
    return (query.last - query.first).days + 1


def _shifted(day: date, days: int) -> datetime:
    """Midnight UTC of `days` after `day`, clamped to the calendar (year 1 or 9999 asked)."""
    try:
        return datetime.combine(day + timedelta(days=days), time(), UTC)
    except OverflowError:
        return datetime.combine(date.min if days < 0 else date.max, time(), UTC)


def _local(moment: datetime | None, zone: ZoneInfo) -> datetime | None:
    return None if moment is None else moment.astimezone(zone)
