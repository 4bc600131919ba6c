"""The plan-vs-actual downloads, as district staff use them: a month's CSV or XLSX from
GET /reports/deliveries.*, every row checked against what the database holds."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta

import httpx
import openpyxl
import pytest

from broadcastd.access import Role
from broadcastd.api import create_app
from broadcastd.contract import Ack
from broadcastd.store import Store

from .fakes import HANOI, Clock, FakeDaemon, bearer, make_token, record, serve

MAN_LAN = ["coc-1", "coc-2", "na-hu-1"]
AREA = {"coc-1": "ban-coc", "coc-2": "ban-coc", "na-hu-1": "na-hu", "khai-1": "ban-khai"}
NIGHT = record("man-lan", "night", datetime(2026, 11, 1, 0, 15, tzinfo=HANOI), 20, "Tin đêm")
MORNING = replace(
    record("man-lan", "morning", datetime(2026, 11, 1, 5, 30, tzinfo=HANOI), 30, "Bản tin sáng"),
    item_durations=(300.0, 1200.0),
)
EVENING = replace(
    record("man-lan", "evening", datetime(2026, 11, 1, 17, 0, tzinfo=HANOI), 20, "Tiếp sóng"),
    item_durations=(600.0, 600.0), priority=50,
)
CANCELLED = record("man-lan", "morning", datetime(2026, 11, 2, 5, 30, tzinfo=HANOI), 30, "Sáng")
KHAI = record("khai-xuan", "morning", datetime(2026, 11, 1, 5, 30, tzinfo=HANOI), 30, "Khải")
AFTER = record("man-lan", "night", datetime(2026, 11, 3, 0, 15, tzinfo=HANOI), 20, "Tin đêm")
"""Local 3 November, 2 November in UTC: outside a report to the 2nd."""

EXPECTED = {
    (NIGHT.broadcast_id, "coc-1"): "played",
    (NIGHT.broadcast_id, "coc-2"): "missed",
    (NIGHT.broadcast_id, "na-hu-1"): "missed",
    (MORNING.broadcast_id, "coc-1"): "played",
    (MORNING.broadcast_id, "coc-2"): "failed",
    (MORNING.broadcast_id, "na-hu-1"): "missed",
    (EVENING.broadcast_id, "coc-1"): "partial",
    (EVENING.broadcast_id, "coc-2"): "preempted",
    (EVENING.broadcast_id, "na-hu-1"): "played",
    (CANCELLED.broadcast_id, "coc-1"): "cancelled",
    (CANCELLED.broadcast_id, "coc-2"): "cancelled",
    (CANCELLED.broadcast_id, "na-hu-1"): "cancelled",
    (KHAI.broadcast_id, "khai-1"): "played",
}
VI = {"played": "Đã phát", "partial": "Phát một phần", "missed": "Không phát",
      "preempted": "Bị ưu tiên chen", "cancelled": "Đã hủy", "failed": "Lỗi"}
HEADERS = ["Xã", "Khu", "Cụm loa", "Mã phát", "Khung giờ", "Tiêu đề", "Mức ưu tiên",
           "Bắt đầu dự kiến", "Kết thúc dự kiến", "Kết quả", "Chi tiết", "Nhận lúc",
           "Bắt đầu phát lúc", "Kết thúc lúc", "Số lần gửi"]
RANGE = {"from": "2026-11-01", "to": "2026-11-02"}


def acked(store: Store, commune: str, cluster: str, broadcast_id: str, start: datetime,
          state: str, seconds: float, item: int | None = None, detail: str = "") -> None:
    at = start + timedelta(seconds=seconds)
    # Received by the daemon a moment after the cluster stamped it.
    store.record_ack(commune, cluster, Ack(broadcast_id, state, at, item, detail),
                     at + timedelta(seconds=0.4))


def history(store: Store) -> None:
    """Five broadcasts over two days (and one after), clusters with every outcome."""
    for rec in (NIGHT, MORNING, EVENING, CANCELLED, AFTER):
        store.record_broadcast(rec, MAN_LAN)
    store.record_broadcast(KHAI, ["khai-1"])
    for rec, clusters in ((NIGHT, MAN_LAN), (MORNING, MAN_LAN), (EVENING, MAN_LAN),
                          (KHAI, ["khai-1"])):
        for cluster in clusters:
            store.record_send(rec.broadcast_id, cluster, "play", "published", rec.send_at)
    store.record_send(MORNING.broadcast_id, "na-hu-1", "play", "queued", MORNING.start)

    def ack(rec: object, cluster: str, state: str, seconds: float, item: int | None = None,
            detail: str = "") -> None:
        assert hasattr(rec, "broadcast_id") and hasattr(rec, "start")
        commune = "khai-xuan" if cluster == "khai-1" else "man-lan"
        acked(store, commune, cluster, rec.broadcast_id, rec.start, state, seconds, item,
              detail)

    ack(NIGHT, "coc-1", "received", -90)
    ack(NIGHT, "coc-1", "playing", 1, item=0)
    ack(NIGHT, "coc-1", "finished", 1190)
    ack(NIGHT, "coc-2", "received", -80)
    ack(MORNING, "coc-1", "received", -100)
    ack(MORNING, "coc-1", "playing", 0, item=0)
    ack(MORNING, "coc-1", "playing", 300, item=1)
    ack(MORNING, "coc-1", "finished", 1500)
    ack(MORNING, "coc-2", "failed", -90, detail="checksum")
    ack(MORNING, "na-hu-1", "received", -60)
    ack(EVENING, "coc-1", "playing", 0, item=0)
    ack(EVENING, "coc-1", "finished", 1190)
    ack(EVENING, "coc-2", "playing", 0, item=0)
    ack(EVENING, "coc-2", "stopped", 200, detail="preempted")
    ack(EVENING, "na-hu-1", "received", -30)
    ack(EVENING, "na-hu-1", "playing", 2, item=0)
    ack(EVENING, "na-hu-1", "playing", 601, item=1)
    ack(EVENING, "na-hu-1", "finished", 1199)
    ack(CANCELLED, "coc-1", "playing", 0, item=0)
    store.cancel_broadcast(CANCELLED.broadcast_id, CANCELLED.start + timedelta(minutes=5),
                           by="test", reason="mất điện")
    ack(KHAI, "khai-1", "playing", 0)
    ack(KHAI, "khai-1", "finished", 1800)
    assert store.flush()


@pytest.fixture
def viewer(store: Store) -> Iterator[httpx.Client]:
    """A real server (no anonymous reading) and a client with a viewer token."""
    history(store)
    app = create_app(store, FakeDaemon(), now=Clock(datetime(2026, 11, 5, 9, 0, tzinfo=HANOI)))
    token = make_token(store, "district", Role.VIEWER)
    with serve(app) as base_url, httpx.Client(
        base_url=base_url, timeout=10, headers=bearer(token)
    ) as client:
        yield client


def local_text(moment: datetime | None) -> str:
    return "" if moment is None else moment.astimezone(HANOI).strftime("%Y-%m-%d %H:%M:%S")


def first_acks(store: Store, broadcast_id: str, cluster: str) -> dict[str, datetime]:
    """The first `cluster_at` of each state this cluster acked, read from the database."""
    found: dict[str, datetime] = {}
    for event in store.ack_events(broadcast_id):
        if event.cluster == cluster and event.state not in found:
            found[event.state] = min(
                e.cluster_at for e in store.ack_events(broadcast_id)
                if e.cluster == cluster and e.state == event.state
            )
    return found


def expected_text_row(store: Store, broadcast_id: str, cluster: str) -> list[str]:
    """The CSV line a delivery should give, from the database and the timetables."""
    view = store.broadcast(broadcast_id)
    assert view is not None
    delivery = store.delivery_states(broadcast_id)[cluster]
    outcome = store.outcomes([view], datetime(2026, 11, 5, tzinfo=HANOI))[broadcast_id][cluster]
    assert outcome is not None and outcome.outcome == EXPECTED[(broadcast_id, cluster)]
    acks = first_acks(store, broadcast_id, cluster)
    priority = {0: "routine", 50: "priority"}[view.priority]
    return [view.commune, AREA[cluster], cluster, broadcast_id, view.slot, view.title, priority,
            local_text(view.start), local_text(view.end), VI[outcome.outcome], outcome.detail,
            local_text(acks.get("received")), local_text(acks.get("playing")),
            local_text(acks.get("finished")), str(delivery.sends)]


def test_the_csv_has_a_line_per_delivery_as_the_database_holds_it(
    viewer: httpx.Client, store: Store
) -> None:
    response = viewer.get("/reports/deliveries.csv", params={**RANGE, "commune": "man-lan"})
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/csv")
    assert response.headers["content-disposition"] == (
        'attachment; filename="bao-cao-man-lan-2026-11-01_2026-11-02.csv"'
    )
    assert response.content.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs
    header, *lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert header == HEADERS
    wanted = {key for key in EXPECTED if key[0].startswith("man-lan/")}
    assert {(line[3], line[2]) for line in lines} == wanted
    assert len(lines) == len(wanted)
    for line in lines:
        assert line == expected_text_row(store, line[3], line[2])
    # Spot checks a person would make: local times, and the 00:15 broadcast on the 1st.
    by_key = {(line[3], line[2]): line for line in lines}
    coc1 = by_key[(MORNING.broadcast_id, "coc-1")]
    assert coc1[7:9] == ["2026-11-01 05:30:00", "2026-11-01 06:00:00"]
    assert coc1[11:15] == ["2026-11-01 05:28:20", "2026-11-01 05:30:00",
                           "2026-11-01 05:55:00", "1"]
    assert by_key[(MORNING.broadcast_id, "na-hu-1")][14] == "2"
    assert by_key[(NIGHT.broadcast_id, "coc-1")][7] == "2026-11-01 00:15:00"
    assert by_key[(MORNING.broadcast_id, "coc-2")][10] == "checksum"


def test_all_communes_one_area_and_english(viewer: httpx.Client, store: Store) -> None:
    every = viewer.get("/reports/deliveries.csv", params=RANGE)
    assert 'filename="bao-cao-tat-ca-2026-11-01_2026-11-02.csv"' in every.headers[
        "content-disposition"]
    rows = list(csv.reader(io.StringIO(every.content.decode("utf-8-sig"))))[1:]
    assert {(r[3], r[2]) for r in rows} == set(EXPECTED)

    area = viewer.get("/reports/deliveries.csv",
                      params={**RANGE, "commune": "man-lan", "area": "ban-coc", "lang": "en"})
    header, *rows = list(csv.reader(io.StringIO(area.content.decode("utf-8-sig"))))
    assert header[:3] == ["Commune", "Area", "Cluster"]
    assert 'filename="report-man-lan-ban-coc-2026-11-01_2026-11-02.csv"' in area.headers[
        "content-disposition"]
    assert {r[2] for r in rows} == {"coc-1", "coc-2"}
    for r in rows:
        assert r[9] == EXPECTED[(r[3], r[2])]  # English words are the outcome names


def test_the_xlsx_holds_the_rows_and_both_summaries(viewer: httpx.Client, store: Store) -> None:
    response = viewer.get("/reports/deliveries.xlsx", params={**RANGE, "commune": "man-lan"})
    assert response.status_code == 200, response.text
    assert 'filename="bao-cao-man-lan-2026-11-01_2026-11-02.xlsx"' in response.headers[
        "content-disposition"]
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == ["Chi tiết", "Theo cụm loa", "Theo ngày"]
    rows_sheet, clusters_sheet, days_sheet = (book[name] for name in book.sheetnames)
    for sheet in (rows_sheet, clusters_sheet, days_sheet):
        assert sheet.freeze_panes == "A2"
        assert all(cell.font.bold for cell in sheet[1])
        assert sheet.column_dimensions["A"].width > 8
    header, *rows = list(rows_sheet.iter_rows(values_only=True))
    assert list(header) == HEADERS
    assert len(rows) == len([k for k in EXPECTED if k[0].startswith("man-lan/")])
    for row in rows:
        expected = expected_text_row(store, str(row[3]), str(row[2]))
        for index in (7, 8, 11, 12, 13):
            cell = row[index]
            assert cell is None or isinstance(cell, datetime)  # a real Excel datetime
            text = "" if cell is None else cell.strftime("%Y-%m-%d %H:%M:%S")
            assert text == expected[index], (row, index)
        plain = ["" if v is None else str(v) for v in row]
        rest = [i for i in range(15) if i not in (7, 8, 11, 12, 13)]
        assert [plain[i] for i in rest] == [expected[i] for i in rest]

    summaries = {r[2]: r for r in list(clusters_sheet.iter_rows(values_only=True))[1:]}
    # planned, played, partial, missed, preempted, cancelled, failed, not over, share
    assert summaries["coc-1"][3:] == (4, 2, 1, 0, 0, 1, 0, 0, pytest.approx(2 / 3))
    assert summaries["coc-2"][3:] == (4, 0, 0, 1, 1, 1, 1, 0, 0)
    assert summaries["na-hu-1"][1:] == ("na-hu", "na-hu-1", 4, 1, 0, 2, 0, 1, 0, 0,
                                        pytest.approx(1 / 3))
    days = {r[0]: r[1:] for r in list(days_sheet.iter_rows(values_only=True))[1:]}
    assert days[datetime(2026, 11, 1)] == (9, 3, 1, 3, 1, 0, 1, 0, pytest.approx(3 / 9))
    assert days[datetime(2026, 11, 2)] == (3, 0, 0, 0, 0, 3, 0, 0, None)


def test_a_broadcast_not_over_yet_has_no_outcome(store: Store) -> None:
    history(store)
    during = Clock(EVENING.start + timedelta(minutes=5))
    app = create_app(store, FakeDaemon(), now=during, anonymous_read=True)
    with serve(app) as base_url:
        body = httpx.get(f"{base_url}/reports/deliveries.csv", params=RANGE).content
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))[1:]
    shown = {(r[3], r[2]): r[9] for r in rows}
    assert shown[(EVENING.broadcast_id, "coc-1")] == "Chưa kết thúc"
    assert shown[(MORNING.broadcast_id, "coc-1")] == "Đã phát"


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"from": "2026-11-31", "to": "2026-12-01"}, "write it as YYYY-MM-DD"),
        ({"from": "01/11/2026", "to": "2026-12-01"}, "write it as YYYY-MM-DD"),
        ({"from": "2026-11-30", "to": "2026-11-01"}, "is before `from`"),
        ({"from": "2025-11-01", "to": "2026-11-02"}, "at most 366 days"),
        ({**RANGE, "commune": "tan-lap"}, "use one of: khai-xuan, man-lan"),
        ({**RANGE, "commune": "khai-xuan", "area": "ban-coc"}, "use one of: ban-khai"),
        ({**RANGE, "area": "khu-99"}, "use one of: ban-coc, ban-khai, na-hu"),
    ],
)
def test_a_range_that_cannot_be_reported_says_why_and_how_to_fix_it(
    viewer: httpx.Client, params: dict[str, str], words: str
) -> None:
    for suffix in ("csv", "xlsx"):
        response = viewer.get(f"/reports/deliveries.{suffix}", params=params)
        assert response.status_code == 422, response.text
        assert words in response.json()["detail"]


def test_a_year_is_allowed(viewer: httpx.Client) -> None:
    response = viewer.get("/reports/deliveries.csv",
                          params={"from": "2025-11-03", "to": "2026-11-03"})
    assert response.status_code == 200, response.text


def test_reports_need_a_viewer_token(viewer: httpx.Client) -> None:
    url = "/reports/deliveries.xlsx"
    no_token = httpx.get(f"{viewer.base_url}{url}", params=RANGE)
    assert no_token.status_code == 401
    assert viewer.get(url, params=RANGE).status_code == 200


def test_a_title_that_looks_like_a_formula_stays_text(
    viewer: httpx.Client, store: Store
) -> None:
    sly = replace(KHAI, broadcast_id="khai-xuan/announce/2026-11-02", slot="announce",
                  date=KHAI.date.replace(day=2), title='=HYPERLINK("http://x","bấm")')
    store.record_broadcast(sly, ["khai-1"])
    assert store.flush()
    params = {**RANGE, "commune": "khai-xuan"}
    text = viewer.get("/reports/deliveries.csv", params=params).content.decode("utf-8-sig")
    titles = {r[3]: r[5] for r in list(csv.reader(io.StringIO(text)))[1:]}
    assert titles[sly.broadcast_id] == "'" + sly.title  # Excel shows it, runs nothing
    book = openpyxl.load_workbook(io.BytesIO(
        viewer.get("/reports/deliveries.xlsx", params=params).content))
    cells = {row[3].value: row[5] for row in book["Chi tiết"].iter_rows(min_row=2)}
    assert (cells[sly.broadcast_id].value, cells[sly.broadcast_id].data_type) == (sly.title, "s")
