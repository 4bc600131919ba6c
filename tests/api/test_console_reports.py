"""The Reports page over a real server and store, read as a browser gets it: its counts
are the downloads' rows counted, a bad range is said on the page, the print view stands
alone (the page in a real browser: tests/integration/test_console_reports.py)."""

from __future__ import annotations

import csv
import io
import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import httpx
import pytest

from broadcastd.access import Role
from broadcastd.api import create_app
from broadcastd.api.views import CommuneTopology
from broadcastd.store import Store

from .fakes import HANOI, TOPOLOGY, Clock, FakeDaemon, make_user, serve
from .test_reports import EXPECTED, RANGE, history

PASSWORD = "mật-khẩu-đúng"
COUNTS = ["planned", "played", "partial", "missed", "preempted", "cancelled", "failed",
          "pending"]


class District(FakeDaemon):
    """A district's server: the two communes of the history and two more."""

    def topology(self) -> list[CommuneTopology]:
        more = [CommuneTopology(f"xa-{n}", f"Xã {n}", "Asia/Ho_Chi_Minh", {"khu-1": [f"k{n}"]})
                for n in (3, 4)]
        return [*TOPOLOGY, *more]


@pytest.fixture
def browser(store: Store) -> Iterator[httpx.Client]:
    """A signed-in viewer on a real server over two days of history (5 Nov, Hà Nội)."""
    with signed_in(store, FakeDaemon()) as client:
        yield client


@contextmanager
def signed_in(store: Store, daemon: FakeDaemon) -> Iterator[httpx.Client]:
    history(store)
    make_user(store, "huyen", Role.VIEWER, PASSWORD)
    app = create_app(store, daemon, now=Clock(datetime(2026, 11, 5, 9, 0, tzinfo=HANOI)))
    with serve(app) as base_url, httpx.Client(base_url=base_url, timeout=10) as client:
        signed = client.post("/login", data={"name": "huyen", "password": PASSWORD,
                                             "next": "/reports"})
        assert signed.status_code == 303
        yield client


def cluster_counts(page: str) -> dict[str, dict[str, int | str]]:
    """Per cluster row of the page: its counts by outcome key, and its share in words."""
    found: dict[str, dict[str, int | str]] = {}
    for cluster, cells in re.findall(r'<tr[^>]*data-cluster="([^"]+)">(.*?)</tr>', page, re.DOTALL):
        values = re.findall(r'<td class="num">(\d+)</td>', cells)
        share = re.search(r"data-share>(.*?)</td>", cells, re.DOTALL)
        assert share is not None
        found[cluster] = {**dict(zip(COUNTS, map(int, values), strict=True)),
                          "share": re.sub(r"<[^>]+>", "", share.group(1)).strip()}
    return found


def test_the_page_counts_what_the_csv_holds(browser: httpx.Client) -> None:
    page = browser.get("/reports", params={**RANGE, "commune": "man-lan"})
    assert page.status_code == 200, page.text
    shown = cluster_counts(page.text)
    csv_link = re.search(r'href="(/reports/deliveries\.csv\?[^"]+)"', page.text)
    assert csv_link is not None
    download = browser.get(csv_link.group(1).replace("&amp;", "&"))
    assert download.status_code == 200
    assert "bao-cao-man-lan-2026-11-01_2026-11-02.csv" in download.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))[1:]
    assert {(r[3], r[2]) for r in rows} == {k for k in EXPECTED if k[0].startswith("man-lan/")}
    for cluster in ("coc-1", "coc-2", "na-hu-1"):
        wanted = Counter(o for (_, c), o in EXPECTED.items() if c == cluster)
        assert shown[cluster]["planned"] == sum(wanted.values())
        for key in COUNTS[1:]:
            assert shown[cluster][key] == wanted[key], (cluster, key)
    # Shares as people write them, the low ones marked; areas by name, in timetable order.
    assert shown["coc-1"]["share"] == "▼ thấp: 66,7 %"  # below 80 %
    assert shown["coc-2"]["share"] == "▼ thấp: 0,0 %"
    assert page.text.index("Bản Cóc") < page.text.index("Nà Hu")
    # The clusters that played least come first, lowest share first.
    worst = page.text.split("Cụm loa phát ít nhất")[1].split("</ol>")[0]
    assert worst.index("coc-2") < worst.index("na-hu-1") < worst.index("coc-1")
    # Per day: 1 November (9 planned, 3 played of 9 due) and the cancelled 2 November.
    days = dict(re.findall(r'<tr data-day="([^"]+)">(.*?)</tr>', page.text, re.DOTALL))
    assert re.findall(r'<td class="num">(\d+)</td>', days["2026-11-01"])[:4] == [
        "9", "3", "1", "3"]
    assert "—" in days["2026-11-02"]


def test_opened_without_dates_it_shows_this_month_so_far(browser: httpx.Client) -> None:
    page = browser.get("/reports").text
    assert 'value="2026-11-01"' in page and 'value="2026-11-05"' in page
    assert "Từ 2026-11-01 đến 2026-11-05" in page
    assert 'aria-current="page">Báo cáo</a>' in page
    assert "deliveries.csv?from=2026-11-01&amp;to=2026-11-05&amp;lang=vi" in page
    every = cluster_counts(page)
    assert set(every) == {"coc-1", "coc-2", "na-hu-1", "khai-1"}
    assert every["khai-1"]["share"] == "100,0 %"  # not marked


def test_a_district_server_opens_on_its_first_commune(store: Store) -> None:
    with signed_in(store, District()) as client:
        first = client.get("/reports").text
        every = client.get("/reports", params={**RANGE, "commune": ""}).text
    assert '<option value="man-lan" selected>' in first
    assert set(cluster_counts(first)) == {"coc-1", "coc-2", "na-hu-1"}
    assert "Tất cả các xã (4)" in every
    assert set(cluster_counts(every)) == {"coc-1", "coc-2", "na-hu-1", "khai-1"}


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"from": "2026-11-31", "to": "2026-12-01"}, "không phải một ngày"),
        ({"from": "", "to": "2026-12-01"}, "hãy viết theo dạng YYYY-MM-DD"),
        ({"from": "2026-11-30", "to": "2026-11-01"}, "ở trước Từ ngày"),
        ({"from": "2025-01-01", "to": "2026-11-02"}, "tối đa 366 ngày"),
        ({**RANGE, "commune": "man-lan", "area": "ban-khai"}, "chọn một trong: ban-coc, na-hu"),
    ],
)
def test_a_range_that_cannot_be_reported_is_said_on_the_page(
    browser: httpx.Client, params: dict[str, str], words: str
) -> None:
    page = browser.get("/reports", params=params)
    assert page.status_code == 422
    assert page.headers["content-type"].startswith("text/html")
    assert words in page.text
    assert 'role="alert"' in page.text and "data-cluster" not in page.text
    assert f'value="{params["to"]}"' in page.text  # the form as sent, to fix one field


def test_english_on_request(browser: httpx.Client) -> None:
    page = browser.get("/reports", params={**RANGE, "lang": "en"}).text
    assert "Clusters that played least" in page and "Share played" in page
    assert cluster_counts(page)["coc-1"]["share"] == "▼ low: 66.7%"
    refused = browser.get("/reports", params={"from": "2026-11-30", "to": "2026-11-01"}).text
    assert "`to` (2026-11-01) is before `from` (2026-11-30)" in refused


def test_the_print_view_names_the_report_and_has_no_nav(browser: httpx.Client) -> None:
    page = browser.get("/reports", params={**RANGE, "commune": "man-lan", "print": "1"}).text
    assert "<nav" not in page and "<form" not in page
    heading = re.search(r"<h1>(.*?)</h1>", page, re.DOTALL)
    assert heading is not None and "Mạn Lạn" in heading.group(1)
    assert "Từ 2026-11-01 đến 2026-11-02" in page and "Lập lúc 2026-11-05 09:00" in page
    assert set(cluster_counts(page)) == {"coc-1", "coc-2", "na-hu-1"}


def test_without_a_session_it_leads_to_sign_in(store: Store) -> None:
    app = create_app(store, FakeDaemon())
    with serve(app) as base_url:
        answer = httpx.get(f"{base_url}/reports?from=2026-11-01&to=2026-11-02")
    assert answer.status_code == 303
    assert answer.headers["location"].startswith("/login?next=/reports")
