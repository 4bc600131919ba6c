"""The report's summaries, pure over its rows: what the Reports page and the XLSX's
summary sheets print (per cluster, per day, per commune, in all, the clusters that
played least), and a refusal in either language."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from broadcastd.api.views import CommuneTopology
from broadcastd.console.report_view import report_page
from broadcastd.console.words import words
from broadcastd.reports import (
    DeliveryRow,
    Report,
    ReportQuery,
    ReportRefused,
    check_query,
    worst_clusters,
)
from broadcastd.store import Outcome

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
FIRST = date(2026, 11, 1)
QUERY = ReportQuery(FIRST, date(2026, 11, 3))
TOPOLOGY = [
    CommuneTopology("man-lan", "Mạn Lạn", "Asia/Ho_Chi_Minh",
                    {"khu-2": ["b-1"], "khu-1": ["a-1", "a-2"]},
                    {"khu-1": "Khu 1", "khu-2": "Khu 2"}),
    CommuneTopology("khai-xuan", "Khải Xuân", "Asia/Ho_Chi_Minh", {"khu-1": ["k-1"]}),
]
AREAS = {"a-1": "khu-1", "a-2": "khu-1", "b-1": "khu-2", "k-1": "khu-1"}


def row(cluster: str, day: int, outcome: Outcome | None) -> DeliveryRow:
    start = datetime(2026, 11, day, 5, 30, tzinfo=HANOI)
    return DeliveryRow(
        commune="khai-xuan" if cluster == "k-1" else "man-lan", area=AREAS.get(cluster),
        cluster=cluster, broadcast_id=f"x/morning/2026-11-0{day}", slot="morning",
        title="Bản tin", priority=0, date=start.date(), start=start,
        end=start + timedelta(minutes=30), outcome=outcome, detail="", received=None,
        playing=None, finished=None, sends=1,
    )


P, M, C = Outcome.played, Outcome.missed, Outcome.cancelled
REPORT = Report(QUERY, [
    row("a-1", 1, P), row("a-2", 1, M), row("b-1", 1, P), row("k-1", 1, P),
    row("a-1", 2, P), row("a-2", 2, Outcome.partial), row("b-1", 2, C), row("k-1", 2, P),
    row("a-1", 3, None), row("a-2", 3, M), row("b-1", 3, Outcome.failed),
    row("gone-1", 3, P),  # a cluster no longer in the timetable
])


def test_per_cluster_counts_each_outcome_and_the_share_of_what_was_due() -> None:
    found = {s.cluster: s.tally for s in REPORT.clusters()}
    assert [s.cluster for s in REPORT.clusters()] == ["k-1", "gone-1", "a-1", "a-2", "b-1"]
    a1 = found["a-1"]
    assert (a1.planned, a1.count(P), a1.count("pending")) == (3, 2, 1)
    assert a1.share_played == 1.0  # the broadcast not over yet is not due
    assert found["a-2"].share_played == 0.0 and found["a-2"].count(M) == 2
    assert found["b-1"].share_played == pytest.approx(1 / 2)  # cancelled is not counted


def test_per_day_is_every_day_of_the_range_and_in_all_is_every_row() -> None:
    days = {d.date: d.tally for d in REPORT.days()}
    assert list(days) == [date(2026, 11, 1), date(2026, 11, 2), date(2026, 11, 3)]
    assert (days[FIRST].planned, days[FIRST].count(P), days[FIRST].count(M)) == (4, 3, 1)
    assert days[date(2026, 11, 2)].share_played == pytest.approx(2 / 3)
    total = REPORT.total()
    assert (total.planned, total.count(P), total.count(C)) == (12, 6, 1)
    assert total.share_played == pytest.approx(6 / 10)
    per_commune = REPORT.communes()
    assert (per_commune["khai-xuan"].planned, per_commune["man-lan"].planned) == (2, 10)


def test_the_clusters_that_played_least_lowest_share_first() -> None:
    worst = worst_clusters(REPORT.clusters(), 2)
    assert [s.cluster for s in worst] == ["a-2", "b-1"]
    assert worst_clusters(REPORT.clusters(), 9)[-1].cluster == "b-1"  # the others played all
    assert worst_clusters([], 5) == []


def test_the_page_groups_clusters_by_area_in_timetable_order_and_marks_low_shares() -> None:
    page = report_page(REPORT, TOPOLOGY, words("vi"), "vi", datetime(2026, 11, 3, 9, 0))
    man_lan = next(b for b in page.communes if b.commune == "man-lan")
    assert [(ln.area, ln.cluster) for ln in man_lan.lines] == [
        ("Khu 2", "b-1"), ("Khu 1", "a-1"), ("Khu 1", "a-2"),
        ("(không còn trong lịch phát)", "gone-1")]
    lines = {ln.cluster: ln.counts for ln in man_lan.lines}
    assert lines["a-1"].values == [3, 2, 0, 0, 0, 0, 0, 1]
    assert (lines["a-1"].share, lines["a-1"].low) == ("100,0 %", False)
    assert (lines["b-1"].share, lines["b-1"].low) == ("50,0 %", True)
    assert man_lan.total.values[0] == 10
    assert [w.where for w in page.worst][:2] == ["Mạn Lạn · Khu 1", "Mạn Lạn · Khu 2"]
    assert page.scope == "Mạn Lạn, Khải Xuân" and page.span == "Từ 2026-11-01 đến 2026-11-03"
    assert page.csv_url == "/reports/deliveries.csv?from=2026-11-01&to=2026-11-03&lang=vi"


def test_a_refusal_speaks_the_pages_language() -> None:
    with pytest.raises(ReportRefused) as refused:
        check_query("2026-11-30", "2026-11-01", None, None, TOPOLOGY)
    assert str(refused.value).startswith("`to` (2026-11-01) is before `from` (2026-11-30)")
    assert refused.value.text("vi").startswith("Đến ngày (2026-11-01) ở trước Từ ngày")
    with pytest.raises(ReportRefused) as refused:
        check_query("1/11/2026", "2026-11-01", None, None, TOPOLOGY)
    assert refused.value.text("vi").startswith("Từ ngày là '1/11/2026', không phải một ngày")
    with pytest.raises(ReportRefused) as refused:
        check_query("2026-11-01", "2026-11-02", "tan-lap", None, [])
    assert refused.value.text("vi").endswith("hãy chọn một trong: (chưa có)")
