"""The Announce page (Phát ngay) in a real browser (Debian's Chromium driven by
Playwright) against the real daemon, Mosquitto and the simulated fleet of 22 clusters:
an operator announces to khu-7 from the form, confirms, watches it play on the
broadcast's page and stops it there; a viewer gets no form and is refused."""

from __future__ import annotations

import re
from typing import Any

import pytest

from broadcastd.contract import PlayCommand, StopCommand

from .browser import OPERATOR, PHONE, VIEWER, add_user, no_sideways_scroll, sign_in
from .conftest import PLAYLIST, MakeFleet
from .site import Site, Slot, cluster_names, timetable

pytestmark = pytest.mark.integration

KHU_7 = ["loa-13", "loa-14"]


def fill_the_form(page: Any) -> None:
    """Khu 7 (the whole area), a library item, emergency, now, one minute long."""
    page.check("input[name=areas][value=khu-7]")
    page.select_option("#audio", "ban-tin-sang")
    page.check("input[name=priority][value=emergency]")
    page.fill("input[name=minutes]", "1")  # typing the minutes picks "Phát trong (phút)"
    page.fill("#title", "Cảnh báo lũ")
    page.fill("#reason", "Nước sông Chảy lên nhanh")
    page.click("form.announce-form button[type=submit]")
    page.wait_for_selector("form.confirm-form")


def test_an_operator_announces_to_khu_7_from_the_form_and_stops_it(
    site: Site, make_fleet: MakeFleet, chromium: Any
) -> None:
    # A timetable whose only slot is far off: nothing else plays meanwhile.
    site.write(timetable(Slot.ahead(site.commune, seconds=3 * 3600, length_s=60), PLAYLIST))
    fleet = make_fleet(speed=0.1)  # the 3 s item plays for 30 s: long enough to be seen
    assert fleet.wait_online(timeout=15)
    site.start()
    add_user(site, VIEWER, "viewer")
    add_user(site, OPERATOR, "operator")

    operator = chromium.new_context(locale="vi-VN")
    page = operator.new_page()
    sign_in(page, site, OPERATOR, "/announce")
    assert page.locator("nav a[href='/announce']").inner_text() == "Phát ngay"
    assert page.locator("h1").inner_text() == "Phát ngay"
    assert "Tải tệp mới lên thư viện" in page.locator("form.announce-form").inner_text()

    # Without the form's CSRF token, even an operator's post is refused.
    refused = page.request.post(f"{site.base_url}/announce/send", form={
        "commune": site.commune, "areas": "khu-7", "audio": "ban-tin-sang"})
    assert refused.status == 403

    fill_the_form(page)
    said = page.locator("dl.confirm").inner_text()
    assert "Khu 7 (loa-13, loa-14) — 2 cụm loa" in said
    assert "Bản tin ban-tin-sang (ban-tin-sang) — 3 giây" in said
    assert "Ngay khi bấm Xác nhận" in said and "1 phút" in said and "khẩn cấp" in said
    assert not any(fleet.snapshot(name).commands for name in cluster_names())  # not yet sent

    page.click("button.send")
    page.wait_for_url(re.compile(rf"/broadcast/{site.commune}/announce-\d{{6}}/"))
    broadcast = page.url.split("/broadcast/", 1)[1]
    assert page.locator("h1").inner_text() == "Cảnh báo lũ"
    page.evaluate("window.notReloaded = true")
    for name in KHU_7:  # the page keeps itself current: no reload
        page.wait_for_selector(f'td[data-cluster="{name}"][data-key="playing"]', timeout=30_000)
    assert page.evaluate("window.notReloaded") is True
    assert "Nước sông Chảy lên nhanh" in page.locator("main").inner_text()  # the audit log
    for name in cluster_names():  # only khu-7's clusters got the play
        plays = [c for c in fleet.snapshot(name).commands
                 if isinstance(c.command, PlayCommand) and c.command.broadcast_id == broadcast]
        assert bool(plays) == (name in KHU_7), name
    assert fleet.snapshot("loa-13").plays(broadcast)[0].priority == 100

    # Stopped from the broadcast's page, on every cluster.
    page.fill("#reason", "Nước đã rút")
    page.click("button.danger")
    page.wait_for_selector(".notice")
    assert "Đã gửi lệnh dừng" in page.locator(".notice").inner_text()
    assert fleet.wait_for(lambda view: all(
        any(isinstance(c.command, StopCommand) for c in view[name].commands) for name in KHU_7
    ), timeout=15)

    # A viewer has no Phát ngay, gets a page saying why, and a post is refused.
    viewer = chromium.new_context()
    seen = viewer.new_page()
    sign_in(seen, site, VIEWER, "/announce")
    assert seen.locator("nav a[href='/announce']").count() == 0
    assert seen.locator("form.announce-form").count() == 0
    assert "Trang này cần quyền điều hành." in seen.locator("h1").inner_text()
    csrf = seen.locator("input[name=csrf]").first.get_attribute("value")
    for path in ("/announce", "/announce/send"):
        refused = seen.request.post(f"{site.base_url}{path}", form={
            "csrf": csrf, "commune": site.commune, "areas": "khu-7", "audio": "ban-tin-sang"})
        assert refused.status == 403, path

    # At phone width: the form and its confirmation without sideways scrolling.
    phone = chromium.new_context(viewport=PHONE, locale="vi-VN")
    small = phone.new_page()
    sign_in(small, site, OPERATOR, "/announce")
    assert no_sideways_scroll(small)
    box = small.locator("input[name=areas][value=khu-7]").bounding_box()
    assert box is not None and box["height"] >= 20  # a box a thumb can hit
    fill_the_form(small)
    assert no_sideways_scroll(small)
    small.click("form.confirm-form button.secondary")  # Sửa lại: back, filled as it was
    small.wait_for_selector("form.announce-form")
    assert small.locator("input[name=areas][value=khu-7]").is_checked()
    assert small.locator("#title").input_value() == "Cảnh báo lũ"
    for opened in (operator, viewer, phone):
        opened.close()
