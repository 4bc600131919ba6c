"""The Reports page in a real browser (Debian's Chromium driven by Playwright) against the
real daemon, Mosquitto, SQLite and the simulated fleet: after a short broadcast, a viewer
reads who played it, downloads the CSV and the XLSX from the page, and prints it."""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from .browser import PHONE, VIEWER, add_user, no_sideways_scroll, sign_in
from .conftest import MakeFleet
from .site import CLUSTERS, Site, Slot, timetable

pytestmark = pytest.mark.integration

SILENT = "loa-22"
PLAYLIST: list[dict[str, Any]] = [{"audio": "nhac-hieu"}, {"audio": "ban-tin-sang"}]
"""Two 3 s tones."""


def heard_in_database(database: Path, broadcast_id: str) -> tuple[set[str], set[str]]:
    """(clusters sent the broadcast, clusters that acked `finished`), read with SQL."""
    with sqlite3.connect(database) as db:
        sent = {r[0] for r in db.execute(
            "SELECT cluster FROM deliveries WHERE broadcast_id = ?", (broadcast_id,))}
        finished = {r[0] for r in db.execute(
            "SELECT DISTINCT cluster FROM ack_events WHERE broadcast_id = ? AND state = "
            "'finished'", (broadcast_id,))}
    return sent, finished


def test_a_viewer_reads_downloads_and_prints_the_report(
    site: Site, make_fleet: MakeFleet, chromium: Any
) -> None:
    slot = Slot.ahead(site.commune, seconds=6, length_s=12)
    site.write(timetable(slot, PLAYLIST))
    fleet = make_fleet(speed=1.0, silent=frozenset({SILENT}))
    assert fleet.wait_online(timeout=15)
    site.start()
    add_user(site, VIEWER, "viewer")
    assert fleet.wait_for(
        lambda view: sum(r.has_ack(slot.broadcast_id, "finished") for r in view.values())
        >= CLUSTERS - 1,
        timeout=60,
    ), site.log()
    time.sleep(max(0.0, (slot.end - datetime.now(UTC)).total_seconds()) + 1.0)  # the end
    sent, finished = heard_in_database(site.database, slot.broadcast_id)
    assert len(sent) == CLUSTERS and SILENT not in finished and len(finished) == CLUSTERS - 1

    context = chromium.new_context(locale="vi-VN", accept_downloads=True)
    page = context.new_page()
    sign_in(page, site, VIEWER)
    page.click("nav >> text=Báo cáo")
    page.wait_for_selector("table.counts")
    assert page.locator("h1").inner_text() == "Báo cáo phát thanh: kế hoạch và thực tế"

    # Per cluster: each one's planned and played counts are what the database holds.
    for cluster in sorted(sent):
        cells = page.locator(f'tr[data-cluster="{cluster}"] td').all_inner_texts()
        planned, played, missed = int(cells[0]), int(cells[1]), int(cells[3])
        assert (planned, played, missed) == (1, int(cluster in finished),
                                             int(cluster not in finished)), cluster
    assert "0,0 %" in page.locator(f'tr[data-cluster="{SILENT}"] td[data-share]').inner_text()
    assert SILENT in page.locator("section.worst").inner_text()  # the one that missed, first
    assert "Khu 15" in page.locator("table.counts").first.inner_text()  # areas by name

    # The downloads of the same selection, from the page's links.
    with page.expect_download() as got:
        page.click("text=Tải về CSV")
    lines = list(csv.reader(io.StringIO(
        Path(got.value.path()).read_bytes().decode("utf-8-sig"))))
    assert lines[0][:3] == ["Xã", "Khu", "Cụm loa"] and lines[0][9] == "Kết quả"
    outcomes = {line[2]: line[9] for line in lines[1:] if line[3] == slot.broadcast_id}
    assert outcomes == {c: "Đã phát" if c in finished else "Không phát" for c in sent}
    with page.expect_download() as got:
        page.click("text=Tải về Excel (XLSX)")
    assert got.value.suggested_filename.endswith(".xlsx")
    book = openpyxl.load_workbook(io.BytesIO(Path(got.value.path()).read_bytes()))
    header, *rows = list(book["Chi tiết"].iter_rows(values_only=True))
    assert header[9] == "Kết quả"
    assert {r[2]: r[9] for r in rows if r[3] == slot.broadcast_id} == outcomes
    per_cluster = {r[2]: r[4] for r in list(book["Theo cụm loa"].iter_rows(values_only=True))[1:]}
    assert per_cluster == {c: int(c in finished) for c in sent}  # played, per cluster

    # The print view: the report alone, named, and a PDF from it.
    page.click("text=Bản in (lưu PDF)")
    page.wait_for_selector(".print-head")
    page.emulate_media(media="print")
    assert page.locator("nav").count() == 0 and page.locator("form").count() == 0
    assert not page.locator(".print-hint").is_visible()
    assert "Xã Mạn Lạn" in page.locator("h1").inner_text()
    assert "Lập lúc" in page.locator(".print-head").inner_text()
    pdf = page.pdf(prefer_css_page_size=True)
    assert pdf.startswith(b"%PDF")
    boxes = re.findall(rb"/MediaBox \[0 0 ([\d.]+) ([\d.]+)\]", pdf)
    assert boxes and all(round(float(w)) in (595, 596) and round(float(h)) in (841, 842)
                         for w, h in boxes), boxes  # A4: 210 x 297 mm in points

    # At a phone's width the page does not scroll sideways; its tables scroll in their box.
    phone = chromium.new_context(viewport=PHONE)
    small = phone.new_page()
    sign_in(small, site, VIEWER, "/reports")
    small.wait_for_selector("table.counts")
    assert no_sideways_scroll(small)
    for opened in (context, phone):
        opened.close()
