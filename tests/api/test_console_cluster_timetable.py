"""The cluster and timetable pages as a browser gets them, over a real server and store
and the fake daemon view: sign-in first, what an unknown cluster or commune says."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from broadcastd.access import Role
from broadcastd.api import create_app
from broadcastd.store import Store

from .fakes import MORNING, MORNING_ID, Clock, FakeDaemon, make_user, serve

PASSWORD = "mật-khẩu-đúng"


@pytest.fixture
def browser(store: Store, daemon: FakeDaemon) -> Iterator[httpx.Client]:
    store.record_broadcast(MORNING, ["coc-1", "coc-2"])
    store.record_presence("man-lan", "coc-1", True, "2.1.0", 75,
                          datetime(2026, 11, 28, 21, 0, tzinfo=UTC))
    assert store.flush()
    make_user(store, "huyen", Role.VIEWER, PASSWORD)
    clock = Clock(datetime(2026, 11, 28, 22, 0, tzinfo=UTC))  # 05:00 on the 29th in Hà Nội
    with serve(create_app(store, daemon, now=clock)) as url, httpx.Client(
        base_url=url, timeout=10
    ) as client:
        yield client


def sign_in(client: httpx.Client) -> None:
    answer = client.post("/login", data={"name": "huyen", "password": PASSWORD, "next": "/"})
    assert answer.status_code == 303


def test_both_pages_lead_to_sign_in_first(browser: httpx.Client) -> None:
    for path in ("/cluster/man-lan/coc-1", "/timetable?commune=man-lan"):
        answer = browser.get(path)
        assert answer.status_code == 303 and answer.headers["location"].startswith("/login?next=")


def test_a_cluster_page_and_an_unknown_cluster(browser: httpx.Client) -> None:
    sign_in(browser)
    page = browser.get("/cluster/man-lan/coc-1").text
    assert "Cụm loa coc-1" in page and "Bản Cóc" in page and "2.1.0" in page
    assert f'href="/broadcast/{MORNING_ID}"' in page and 'data-online="yes"' in page
    today = browser.get("/").text
    assert 'href="/cluster/man-lan/coc-1"' in today  # the grid's cluster names lead there
    missing = browser.get("/cluster/man-lan/loa-99")
    assert missing.status_code == 404 and "Không có cụm loa này." in missing.text


def test_an_unknown_commune_is_refused_above_every_communes_week(browser: httpx.Client) -> None:
    sign_in(browser)
    answer = browser.get("/timetable?commune=khong-co")
    assert answer.status_code == 404
    assert "Không có xã này trong lịch phát" in answer.text
    assert 'href="/timetable?commune=man-lan"' in answer.text  # the list to choose from
    english = browser.get("/timetable?lang=en").text
    assert "Sunday · 2026-11-29" in english and "No problems in the timetable file." in english
