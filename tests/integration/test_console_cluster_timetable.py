"""The cluster and timetable pages in a real browser (Debian's Chromium driven by
Playwright) against the real daemon, Mosquitto and the simulated fleet of 22 clusters."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest

from .browser import PHONE, VIEWER, add_user, no_sideways_scroll, sign_in
from .conftest import MakeFleet
from .site import Site, Slot, timetable

pytestmark = pytest.mark.integration

BULLETINS = [{"audio": "nhac-hieu"}, {"audio": "ban-tin-sang"}]


def wait_until(check: Any, timeout: float, every: float = 0.5) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return False


def with_target(data: dict[str, Any]) -> dict[str, Any]:
    """The slot for the first two areas only (loa-01 to loa-04)."""
    data["slots"][0]["target"] = {"areas": ["khu-1", "khu-2"]}
    return data


def phase_of(site: Site, broadcast: str) -> str | None:
    """The broadcast's phase, None before the daemon records it (just ahead of its start)."""
    answer = httpx.get(f"{site.base_url}/broadcasts/{broadcast}", timeout=5.0)
    return str(answer.json()["phase"]) if answer.status_code == 200 else None


def test_a_cluster_from_today_and_the_week_ahead_with_its_problems(
    site: Site, make_fleet: MakeFleet, chromium: Any
) -> None:
    slot = Slot.ahead(site.commune, seconds=10, length_s=20)
    site.write(with_target(timetable(slot, BULLETINS)))
    fleet = make_fleet()
    assert fleet.wait_online(timeout=15)
    site.start()
    add_user(site, VIEWER, "viewer")
    broadcast, today = slot.broadcast_id, slot.start.date().isoformat()
    context = chromium.new_context(locale="vi-VN")
    page = context.new_page()
    sign_in(page, site, VIEWER)

    # The timetable: today's section lists the slot with its areas by name; no problem.
    page.click("nav >> text=Lịch phát")
    page.wait_for_url(f"{site.base_url}/timetable")
    day = page.locator(f'section.day[data-day="{today}"]')
    assert "hôm nay" in day.locator("h3").inner_text()
    listed = day.locator('li.slot[data-slot="morning"]')
    assert "Bản tin sáng" in listed.inner_text()
    assert listed.locator(".target").inner_text() == "Khu 1, Khu 2"
    assert "Bản tin nhac-hieu" in listed.inner_text()  # the item's title from the library
    assert page.locator(".problems").count() == 0

    # From the Today grid to a cluster: online now, its firmware, its area.
    page.goto(site.base_url)
    page.click(f'a[href="/cluster/{site.commune}/loa-03"]')
    page.wait_for_url(f"{site.base_url}/cluster/{site.commune}/loa-03")
    assert "loa-03" in page.locator("h1").inner_text()
    assert page.locator(".facts [data-online]").get_attribute("data-online") == "yes"
    assert "đang kết nối" in page.locator(".facts").inner_text()
    assert page.locator('[data-fact="firmware"]').inner_text() == "sim-1.0"
    assert "Khu 2" in page.locator(".facts").inner_text()
    assert "đã kết nối" in page.locator(".presence-history").inner_text()

    # Once the broadcast is over the page shows its outcome, the API's own.
    assert wait_until(lambda: phase_of(site, broadcast) == "ended", 60)
    said = next(c for c in site.get(f"/broadcasts/{broadcast}")["clusters"]
                if c["cluster"] == "loa-03")["outcome"]
    assert said in {"played", "partial", "missed", "preempted", "cancelled", "failed"}
    page.reload()
    shown = page.locator(f'td[data-broadcast="{broadcast}"]')
    assert shown.get_attribute("data-key") == said
    page.click(f'a[href="/broadcast/{broadcast}"]')
    assert page.locator("h1").inner_text() == "Bản tin sáng"

    # A mistake saved in the file: the timetable page names it, with file and line.
    broken = with_target(timetable(slot, BULLETINS))
    broken["slots"].append({**broken["slots"][0], "id": "evening", "start": "25:00"})
    site.write(broken)

    def problem_shown() -> bool:
        page.goto(f"{site.base_url}/timetable?commune={site.commune}")
        return page.locator(".problems").count() == 1

    assert wait_until(problem_shown, 30, every=1.0)
    problem = page.locator(".problems li").first.inner_text()
    assert f"{site.commune}.yaml:" in problem and "25:00" in problem

    # At phone width neither page scrolls sideways.
    phone = chromium.new_context(viewport=PHONE)
    small = phone.new_page()
    sign_in(small, site, VIEWER, "/timetable")
    assert no_sideways_scroll(small)
    small.goto(f"{site.base_url}/cluster/{site.commune}/loa-03")
    assert no_sideways_scroll(small)
    for opened in (context, phone):
        opened.close()
