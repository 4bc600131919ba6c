"""What the Reports page shows, built as plain dataclasses the templates only print.

Pure given its inputs: the route checks the query and builds the report with
`reports.build_report` (the rows the CSV and XLSX hold); the counting is the report's own
(`Report.clusters`, `days`, `total`, `worst_clusters`). Here the counts only become
words, in the timetable's order of areas, with the low shares marked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from urllib.parse import urlencode

from broadcastd.api.views import CommuneTopology
from broadcastd.console.announce_form import Choice  # an option of a select
from broadcastd.reports import ClusterSummary, Lang, Report, ReportQuery, worst_clusters
from broadcastd.reports.build import Tally
from broadcastd.reports.words import COUNT_COLUMNS, headers

LOW_SHARE = 0.8
"""A cluster (or a day) that played less than this share of what was due is marked."""
WORST = 5
"""How many of the clusters that played least the page names first."""
COUNT_KEYS = [key for key, _header in COUNT_COLUMNS[:-1]]
"""planned, played, partial, missed, preempted, cancelled, failed, not over."""
MADE = "%Y-%m-%d %H:%M"


@dataclass(frozen=True)
class Counts:
    """One line's counts in the columns' order, and its share played in words."""

    values: list[int]
    share: str
    low: bool


@dataclass(frozen=True)
class ClusterLine:
    area: str
    area_first: bool
    """The first line of its area: the template writes the area's name there."""
    area_rows: int
    cluster: str
    counts: Counts


@dataclass(frozen=True)
class CommuneBlock:
    commune: str
    name: str
    lines: list[ClusterLine]
    total: Counts


@dataclass(frozen=True)
class DayLine:
    day: str
    counts: Counts
    quiet: bool
    """Nothing was planned that day: shown, but greyed, so the busy days stand out."""


@dataclass(frozen=True)
class WorstLine:
    where: str
    """Commune (when the report has several), area and cluster, in words."""
    cluster: str
    share: str
    missed: int
    partial: int


@dataclass(frozen=True)
class AreaGroup:
    """An area select's optgroup: one commune's areas."""

    label: str
    areas: list[Choice]


@dataclass(frozen=True)
class ReportForm:
    first: str
    last: str
    communes: list[Choice]
    area_groups: list[AreaGroup]


@dataclass(frozen=True)
class ReportPage:
    scope: str
    """What the report covers: the commune (or every one) and the area, in words."""
    first: str
    last: str
    span: str
    """The range in words: `Từ 2026-11-01 đến 2026-11-29`."""
    made: str
    columns: list[str]
    communes: list[CommuneBlock]
    days: list[DayLine]
    worst: list[WorstLine]
    total: Counts
    total_line: str
    csv_url: str
    xlsx_url: str
    print_url: str
    page_url: str


def month_so_far(today: date) -> tuple[date, date]:
    """The range a page opened without dates shows: this month up to today."""
    return today.replace(day=1), today


def report_form(
    communes: Sequence[CommuneTopology], first: str, last: str, commune: str, area: str
) -> ReportForm:
    """The form as asked (even when refused, so the fix is one change away)."""
    return ReportForm(
        first=first,
        last=last,
        communes=[Choice(c.commune, c.name, c.commune == commune) for c in communes],
        area_groups=[
            AreaGroup(c.name, [Choice(a, c.area_names.get(a, a), a == area and
                                      commune in ("", c.commune)) for a in c.areas])
            for c in communes
        ],
    )


def report_page(
    report: Report, communes: Sequence[CommuneTopology], words: dict[str, str], lang: Lang,
    made: datetime,
) -> ReportPage:
    query = report.query
    summaries = report.clusters()
    shown = [c for c in communes if query.commune in (None, c.commune)]
    names = {c.commune: c for c in communes}
    several = len(shown) > 1
    worst = [
        WorstLine(_where(s, names, several), s.cluster, _share(s.tally, lang),
                  s.tally.count("missed"), s.tally.count("partial"))
        for s in worst_clusters(summaries, WORST)
    ]
    base = _query(query, lang)
    per_commune = report.communes()
    total = _counts(report.total(), lang)
    return ReportPage(
        scope=_scope(query, names, words),
        first=query.first.isoformat(),
        last=query.last.isoformat(),
        span=words["report.range"].format(first=query.first, last=query.last),
        made=f"{made:{MADE}}",
        columns=headers(COUNT_COLUMNS, lang),
        communes=[_commune_block(c, summaries, per_commune.get(c.commune, Tally()), words, lang)
                  for c in shown],
        days=[DayLine(d.date.isoformat(), _counts(d.tally, lang), d.tally.planned == 0)
              for d in report.days()],
        worst=worst,
        total=total,
        total_line=words["report.total_line"].format(
            planned=total.values[0], played=total.values[1], share=total.share),
        csv_url=f"/reports/deliveries.csv?{base}",
        xlsx_url=f"/reports/deliveries.xlsx?{base}",
        print_url=f"/reports?{base}&print=1",
        page_url=f"/reports?{base}",
    )


def _commune_block(
    commune: CommuneTopology, summaries: list[ClusterSummary], total: Tally,
    words: dict[str, str], lang: Lang,
) -> CommuneBlock:
    """Its clusters grouped by area in the timetable's order; clusters the timetable no
    longer has come last, under one heading."""
    mine = {(s.area, s.cluster): s for s in summaries if s.commune == commune.commune}
    groups: list[tuple[str, list[ClusterSummary]]] = []
    for area, members in commune.areas.items():
        found = [mine.pop((area, k)) for k in members if (area, k) in mine]
        if found:
            groups.append((commune.area_names.get(area, area), found))
    if mine:
        groups.append((words["report.outside"], sorted(mine.values(), key=lambda s: s.cluster)))
    lines = [
        ClusterLine(name, index == 0, len(found), s.cluster, _counts(s.tally, lang))
        for name, found in groups
        for index, s in enumerate(found)
    ]
    return CommuneBlock(commune.commune, commune.name, lines, _counts(total, lang))


def _counts(tally: Tally, lang: Lang) -> Counts:
    share = tally.share_played
    return Counts([tally.count(key) for key in COUNT_KEYS], _share(tally, lang),
                  share is not None and share < LOW_SHARE)


def _share(tally: Tally, lang: Lang) -> str:
    """`87,5 %` (Vietnamese writes a decimal comma) or `87.5%`; `—` when nothing was due."""
    share = tally.share_played
    if share is None:
        return "—"
    text = f"{share * 100:.1f}"
    return f"{text.replace('.', ',')} %" if lang == "vi" else f"{text}%"


def _where(
    summary: ClusterSummary, communes: dict[str, CommuneTopology], several: bool
) -> str:
    commune = communes.get(summary.commune)
    area = summary.area or ""
    if commune is not None:
        area = commune.area_names.get(area, area)
    name = commune.name if commune is not None else summary.commune
    return f"{name} · {area}" if several else area


NAMED = 3
"""Up to this many communes, a report on all of them names each."""


def _scope(query: ReportQuery, communes: dict[str, CommuneTopology], words: dict[str, str]) -> str:
    if query.commune is None:
        names = [c.name for c in communes.values()]
        scope = (", ".join(names) if len(names) <= NAMED
                 else f"{words['all_communes']} ({len(names)})")
        return f"{scope} · {query.area}" if query.area else scope
    commune = communes[query.commune]
    if query.area is None:
        return commune.name
    return f"{commune.name} · {commune.area_names.get(query.area, query.area)}"


def _query(query: ReportQuery, lang: Lang) -> str:
    """The query string that asks for the same report (page, downloads, print)."""
    asked = {"from": query.first.isoformat(), "to": query.last.isoformat()}
    if query.commune:
        asked["commune"] = query.commune
    if query.area:
        asked["area"] = query.area
    return urlencode({**asked, "lang": lang})
