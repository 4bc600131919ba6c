"""The console's pages in a real browser (Debian's Chromium driven by Playwright) against
the real daemon, Mosquitto and the simulated fleet of 22 clusters."""

from __future__ import annotations

from typing import Any

import pytest

from broadcastd.contract import StopCommand

from .browser import OPERATOR, PHONE, VIEWER, add_user, cell, no_sideways_scroll, sign_in
from .conftest import PLAYLIST, MakeFleet
from .site import Site, Slot, timetable

pytestmark = pytest.mark.integration


def test_today_live_broadcast_page_and_a_stop_from_the_page(
    site: Site, make_fleet: MakeFleet, chromium: Any
) -> None:
    # About 26 s of audio at real speed in a 45 s slot: long enough to be seen playing.
    slot = Slot.ahead(site.commune, seconds=14, length_s=45)
    site.write(timetable(slot, PLAYLIST))
    fleet = make_fleet(speed=1.0)
    assert fleet.wait_online(timeout=15)
    site.start()
    add_user(site, VIEWER, "viewer")
    add_user(site, OPERATOR, "operator")
    broadcast = slot.broadcast_id

    viewer = chromium.new_context(locale="vi-VN")
    page = viewer.new_page()
    sign_in(page, site, VIEWER)
    assert page.locator("html").get_attribute("lang") == "vi"
    assert "Hôm nay" in page.locator("h1").inner_text()
    assert f"{VIEWER} (xem)" in page.locator("header").inner_text()
    page.wait_for_selector(cell(broadcast, "loa-01", "pending"))
    assert "Chờ phát" in page.locator(cell(broadcast, "loa-01", "pending")).inner_text()
    page.evaluate("window.notReloaded = true")

    # The cells change as the acks arrive, without reloading the page.
    page.wait_for_selector(cell(broadcast, "loa-01", "playing"), timeout=40_000)
    assert "Đang phát" in page.locator(cell(broadcast, "loa-01", "playing")).inner_text()

    # A viewer sees no stop form, and a stop posted without the CSRF token is refused.
    viewer_page = viewer.new_page()
    viewer_page.goto(f"{site.base_url}/broadcast/{broadcast}")
    assert viewer_page.locator("h1").inner_text() == "Bản tin sáng"
    assert viewer_page.locator("form.stop-form").count() == 0
    refused = viewer_page.request.post(
        f"{site.base_url}/broadcast/{broadcast}/stop", form={"scope": "all"}
    )
    assert refused.status == 403

    # An operator stops it on one cluster from the page and sees it there.
    operator = chromium.new_context()
    stop_page = operator.new_page()
    sign_in(stop_page, site, OPERATOR, f"/broadcast/{broadcast}")
    refused = stop_page.request.post(
        f"{site.base_url}/broadcast/{broadcast}/stop", form={"scope": "all"}
    )
    assert refused.status == 403  # an operator's session too needs the form's CSRF token
    stop_page.check("input[name=scope][value=chosen]")
    stop_page.check("input[name=clusters][value=loa-02]")
    stop_page.fill("#reason", "Mất điện khu 1")
    stop_page.click("button.danger")
    stop_page.wait_for_selector(".notice")
    assert "Đã gửi lệnh dừng" in stop_page.locator(".notice").inner_text()
    assert "Mất điện khu 1" in stop_page.locator("main").inner_text()
    assert fleet.wait_for(
        lambda view: any(isinstance(c.command, StopCommand) for c in view["loa-02"].commands),
        timeout=15,
    )
    assert not any(isinstance(c.command, StopCommand) for c in fleet.snapshot("loa-01").commands)

    # Back on the viewer's page, still not reloaded: loa-02 stopped, loa-01 played on.
    page.wait_for_selector(cell(broadcast, "loa-02", "cancelled"), timeout=30_000)
    page.wait_for_selector(cell(broadcast, "loa-01", "played"), timeout=40_000)
    assert page.evaluate("window.notReloaded") is True

    # At phone width neither page scrolls sideways.
    phone = chromium.new_context(viewport=PHONE)
    small = phone.new_page()
    sign_in(small, site, VIEWER)
    assert no_sideways_scroll(small)
    small.goto(f"{site.base_url}/broadcast/{broadcast}")
    assert no_sideways_scroll(small)
    for opened in (viewer, operator, phone):
        opened.close()
