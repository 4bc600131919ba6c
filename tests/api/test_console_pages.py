"""The console's pages over a real server and store, read as a browser gets them (the
live behaviour in a real browser is tests/integration/test_console_pages.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from broadcastd.access import Role
from broadcastd.api import create_app
from broadcastd.api.views import HealthReport
from broadcastd.console.auth import next_page
from broadcastd.store import Store

from .fakes import MORNING, MORNING_ID, Clock, FakeDaemon, make_user, serve

PASSWORD = "mật-khẩu-đúng"
PROBLEM = "schedules/man-lan.yaml line 12: `start: 25:00` is not a time; write HH:MM"


@pytest.fixture
def daemon(store: Store) -> FakeDaemon:
    store.record_broadcast(MORNING, ["coc-1", "coc-2"])
    assert store.flush()
    return FakeDaemon(
        report=HealthReport(scheduler_running=True, broker_connected=True,
                            timetables_ok=False, problems=[PROBLEM]),
    )


@pytest.fixture
def base_url(store: Store, daemon: FakeDaemon) -> Iterator[str]:
    make_user(store, "huyen", Role.VIEWER, PASSWORD)
    clock = Clock(datetime(2026, 11, 28, 22, 0, tzinfo=UTC))  # 05:00 on the 29th in Hà Nội
    with serve(create_app(store, daemon, now=clock)) as url:
        yield url


@pytest.fixture
def browser(base_url: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        yield client


def sign_in(client: httpx.Client, next: str = "/") -> httpx.Response:
    return client.post("/login", data={"name": "huyen", "password": PASSWORD, "next": next})


def test_a_page_without_a_session_leads_to_sign_in_and_back(browser: httpx.Client) -> None:
    first = browser.get(f"/broadcast/{MORNING_ID}")
    assert first.status_code == 303
    assert first.headers["location"] == f"/login?next=/broadcast/{MORNING_ID}"
    form = browser.get(first.headers["location"]).text
    assert f'name="next" value="/broadcast/{MORNING_ID}"' in form
    answer = sign_in(browser, f"/broadcast/{MORNING_ID}")
    assert answer.status_code == 303 and answer.headers["location"] == f"/broadcast/{MORNING_ID}"
    assert browser.get("/console/today").status_code == 200


def test_sign_in_never_leads_to_another_site() -> None:
    for asked in ("//evil.example/", "https://evil.example/", "/\\evil.example", "evil", ""):
        assert next_page(asked) == "/", asked
    assert next_page("/broadcast/man-lan/morning/2026-11-29?lang=en") == (
        "/broadcast/man-lan/morning/2026-11-29?lang=en"
    )


def test_today_shows_problems_first_every_cluster_by_area_and_offline(
    browser: httpx.Client,
) -> None:
    sign_in(browser)
    page = browser.get("/").text
    assert '<html lang="vi">' in page and "Hôm nay" in page
    assert page.index("Lịch phát có lỗi") < page.index("Mạn Lạn · 2026-11-29")
    assert "start: 25:00" in page
    cells = re.findall(r'data-broadcast="([^"]+)" data-cluster="([^"]+)" data-key="([^"]+)"', page)
    assert cells == [(MORNING_ID, "coc-1", "pending"), (MORNING_ID, "coc-2", "pending")]
    areas = re.findall(r'<th scope="rowgroup" rowspan="\d+">([^<]+)</th>', page)
    assert areas == ["Bản Cóc", "Nà Hu"]  # as the timetable names them, not their ids
    assert page.count("mất kết nối") >= 4  # no cluster has said a word: all offline
    assert "Khải Xuân" in page  # a commune without broadcasts today is listed too
    assert "Hôm nay không có buổi phát nào." in page


def test_english_on_request_and_remembered(browser: httpx.Client) -> None:
    sign_in(browser)
    english = browser.get("/", params={"lang": "en"})
    assert '<html lang="en">' in english.text and "Today" in english.text
    assert "pending" in english.text and "Timetable problems" in english.text
    assert "lang=en" in english.headers["set-cookie"]
    again = browser.get(f"/broadcast/{MORNING_ID}")
    assert '<html lang="en">' in again.text and "Cluster acks" in again.text
    back = browser.get("/", params={"lang": "vi"})
    assert '<html lang="vi">' in back.text


def test_a_viewer_sees_the_broadcast_without_a_stop_form(browser: httpx.Client) -> None:
    sign_in(browser)
    page = browser.get(f"/broadcast/{MORNING_ID}").text
    assert "Bản tin sáng" in page and "stop-form" not in page
    assert browser.get("/broadcast/man-lan/none/2026-11-29").status_code == 404


def test_the_report_link_opens_this_months_report(browser: httpx.Client) -> None:
    sign_in(browser)
    page = browser.get("/").text
    links = re.findall(r'href="(/reports\?[^"]+)"[^>]*>Báo cáo<', page)
    assert links == ["/reports?from=2026-11-01&amp;to=2026-11-29&amp;lang=vi"]
    report = browser.get(links[0].replace("&amp;", "&"))
    assert report.status_code == 200, report.text
    assert "Từ 2026-11-01 đến 2026-11-29" in report.text
