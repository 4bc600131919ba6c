"""The Announce page over a real server and store, read as a browser gets it: the form,
the confirmation, the send through the desk's `announce`, refusals on the form, and who
may do it (the page in a real browser against the real daemon is
tests/integration/test_console_announce.py)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import httpx
import pytest

from broadcastd.access import Role
from broadcastd.api import create_app
from broadcastd.store import Store

from .fakes import Clock, FakeDaemon, FakeDesk, make_user, serve

PASSWORD = "mật-khẩu-đúng"
FORM = {"commune": "man-lan", "areas": "ban-coc", "audio": "canh-bao-lu",
        "priority": "emergency", "title": "Cảnh báo lũ", "reason": "nước lên"}


@pytest.fixture
def desk() -> FakeDesk:
    return FakeDesk(Clock(datetime(2026, 11, 29, 7, 0, tzinfo=UTC)))  # 14:00 in Hà Nội


@pytest.fixture
def base_url(store: Store, desk: FakeDesk) -> Iterator[str]:
    make_user(store, "van-hoa", Role.OPERATOR, PASSWORD)
    make_user(store, "huyen", Role.VIEWER, PASSWORD)
    app = create_app(store, FakeDaemon(), now=desk.clock, announcer=lambda: desk)
    with serve(app) as url:
        yield url


@contextmanager
def signed_in(base_url: str, name: str) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=base_url, timeout=10) as client:
        assert client.post("/login", data={"name": name, "password": PASSWORD}).status_code == 303
        yield client


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found, page
    return found.group(1)


def hidden_fields(page: str) -> list[tuple[str, str]]:
    return re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', page)


def test_an_operator_reviews_then_confirms_and_lands_on_the_broadcast(
    base_url: str, desk: FakeDesk
) -> None:
    with signed_in(base_url, "van-hoa") as browser:
        form = browser.get("/announce")
        assert form.status_code == 200
        assert 'href="/announce" aria-current="page"' in form.text  # the nav's Phát ngay
        assert 'value="ban-coc"' in form.text and "Cảnh báo lũ — 42 giây" in form.text
        assert 'href="/library#upload-title"' in form.text  # upload lives on the library page
        csrf = csrf_of(form.text)
        review = browser.post("/announce", data={**FORM, "csrf": csrf})
        assert review.status_code == 200, review.text
        assert "Bản Cóc (coc-1, coc-2) — <strong>2 cụm loa</strong>" in review.text
        assert "Cảnh báo lũ (canh-bao-lu) — 42 giây" in review.text
        assert "Ngay khi bấm Xác nhận (khoảng 14:00:05)" in review.text
        assert "14:00:47 hôm nay" in review.text and "khẩn cấp" in review.text
        assert desk.announced == []  # reviewing sends nothing
        sent = browser.post("/announce/send", data=dict(hidden_fields(review.text)))
        assert sent.status_code == 303
        (occurrence,) = desk.announced
        assert sent.headers["location"] == f"/broadcast/{occurrence.broadcast_id}"
        assert occurrence.clusters == ("coc-1", "coc-2") and occurrence.priority == 100
        assert occurrence.title == "Cảnh báo lũ"


def test_a_written_notice_is_reviewed_and_sent_as_a_text_item(
    base_url: str, desk: FakeDesk
) -> None:
    notice = "Mời bà con Bản Cóc họp lúc 19h30 tại nhà văn hóa."
    with signed_in(base_url, "van-hoa") as browser:
        form = browser.get("/announce")
        assert '<textarea id="text" name="text"' in form.text
        review = browser.post("/announce", data={
            **FORM, "audio": "", "source": "text", "text": notice, "csrf": csrf_of(form.text)})
        assert review.status_code == 200, review.text
        assert f"Đọc văn bản: “{notice}”" in review.text
        sent = browser.post("/announce/send", data=dict(hidden_fields(review.text)))
        assert sent.status_code == 303
        (occurrence,) = desk.announced
        assert [item.text for item in occurrence.playlist] == [notice]


def test_edit_and_refusals_come_back_on_the_form_filled_as_sent(
    base_url: str, desk: FakeDesk
) -> None:
    with signed_in(base_url, "van-hoa") as browser:
        csrf = csrf_of(browser.get("/announce").text)
        review = browser.post("/announce", data={**FORM, "csrf": csrf})
        edit = browser.post("/announce/edit", data=dict(hidden_fields(review.text)))
        assert edit.status_code == 200
        assert 'value="ban-coc" checked' in edit.text and 'value="Cảnh báo lũ"' in edit.text
        late = {**FORM, "csrf": csrf, "start": "today", "start_time": "13:30"}
        refused = browser.post("/announce", data=late)
        assert refused.status_code == 422
        assert "Giờ bắt đầu 13:30:00 ngày 29/11/2026 đã qua: ở xã bây giờ là 14:00:00." in (
            refused.text)
        assert "Chọn “Ngay bây giờ”, hoặc một giờ muộn hơn." in refused.text
        assert 'name="start_time" aria-label="Hôm nay lúc" value="13:30"' in refused.text
        nobody = browser.post("/announce/send", data={**FORM, "csrf": csrf, "areas": ""},
                              params={"lang": "en"})
        assert nobody.status_code == 422 and "Nobody chosen to hear it." in nobody.text
        assert desk.announced == []


def test_a_viewer_sees_no_form_and_cannot_post_one(base_url: str, desk: FakeDesk) -> None:
    with signed_in(base_url, "huyen") as browser:
        today = browser.get("/")
        assert 'href="/announce"' not in today.text
        page = browser.get("/announce")
        assert page.status_code == 403 and "Trang này cần quyền điều hành." in page.text
        assert "announce-form" not in page.text
        csrf = csrf_of(today.text)
        for path in ("/announce", "/announce/send"):
            refused = browser.post(path, data={**FORM, "csrf": csrf})
            assert refused.status_code == 403
            assert "has role viewer" in refused.json()["detail"]
    assert desk.announced == []


def test_without_the_csrf_token_or_a_session_nothing_is_sent(
    base_url: str, desk: FakeDesk
) -> None:
    with signed_in(base_url, "van-hoa") as browser:
        refused = browser.post("/announce/send", data=FORM)
        assert refused.status_code == 403 and "CSRF" in refused.json()["detail"]
    with httpx.Client(base_url=base_url, timeout=10) as stranger:
        assert stranger.get("/announce").headers["location"] == "/login?next=/announce"
        assert stranger.post("/announce/send", data=FORM).status_code == 401
    assert desk.announced == []
