"""The audio library page in a real browser (Debian's Chromium driven by Playwright)
against the real daemon: an operator uploads a recording through the page, sees it
listed and can play it, and the daemon announces it; a viewer cannot upload."""

from __future__ import annotations

import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from broadcastd.audio.catalogue import Catalogue
from broadcastd.audio.ffmpeg import locate_tools

from .browser import OPERATOR, PHONE, VIEWER, add_user, no_sideways_scroll, sign_in
from .conftest import PLAYLIST
from .site import Site, Slot, timetable

pytestmark = pytest.mark.integration


def recording(path: Path, seconds: float) -> Path:
    subprocess.run(
        [str(locate_tools().ffmpeg), "-loglevel", "error", "-y", "-f", "lavfi", "-i",
         f"sine=frequency=440:duration={seconds}", "-af", "volume=-28dB", str(path)],
        check=True,
    )
    return path


def announce(site: Site, token: str, audio: str) -> httpx.Response:
    return httpx.post(
        f"{site.base_url}/announcements",
        json={"commune": site.commune, "target": {"areas": ["khu-7"]},
              "items": [{"audio": audio}], "duration_s": 30},
        headers={"Authorization": f"Bearer {token}"}, timeout=10,
    )


def test_an_operator_uploads_through_the_page_and_plays_it_a_viewer_cannot_upload(
    site: Site, chromium: Any, tmp_path: Path
) -> None:
    site.library = Path(shutil.copytree(site.library, tmp_path / "library"))  # ours to change
    site.write(timetable(Slot.ahead(site.commune, seconds=3600, length_s=60), PLAYLIST))
    site.start()
    add_user(site, VIEWER, "viewer")
    add_user(site, OPERATOR, "operator")
    token = site.token("dieu-hanh", "operator")
    assert announce(site, token, "ban-tin-t2").status_code == 422  # not in the library yet

    operator = chromium.new_context()
    page = operator.new_page()
    sign_in(page, site, OPERATOR, "/library")
    assert page.locator("h1").inner_text() == "Thư viện âm thanh"
    uses = page.locator("#item-nhac-hieu .uses").inner_text()
    assert f"{site.commune}.yaml:" in uses and "khung giờ morning" in uses

    # A document picked by mistake: refused on the page itself, progress shown meanwhile.
    page.evaluate("""() => {
        window.notReloaded = true; window.said = [];
        new MutationObserver(() => window.said.push(
            document.getElementById('upload-status').textContent)
        ).observe(document.getElementById('upload-status'), {childList: true});
    }""")
    letter = tmp_path / "giấy mời.pdf"
    letter.write_bytes(b"%PDF-1.4\n" + b"Kinh moi cac ho gia dinh hop thon.\n" * 400)
    page.fill("#upload-title-field", "Giấy mời")
    page.set_input_files("#upload-file", str(letter))
    page.click(".upload-form button[type=submit]")
    page.wait_for_selector("#upload-problem .error")
    assert "Đây không phải tệp âm thanh đọc được" in page.locator("#upload-problem").inner_text()
    assert page.evaluate("window.notReloaded") is True
    said = page.evaluate("window.said")
    assert "Đang tải lên: 100%" in said and any("chuẩn hóa âm lượng" in s for s in said)

    # The real recording: the name is proposed from the title as it is typed.
    page.fill("#upload-name", "")
    page.fill("#upload-title-field", "")
    page.type("#upload-title-field", "Bản tin T2")
    assert page.input_value("#upload-name") == "ban-tin-t2"
    page.check("input[name=trim]")
    page.set_input_files("#upload-file", str(recording(tmp_path / "ban tin t2.wav", 4)))
    page.click(".upload-form button[type=submit]")
    page.wait_for_url("**/library?added=ban-tin-t2#item-ban-tin-t2", timeout=60_000)
    card = page.locator("#item-ban-tin-t2.added")
    assert "Bản tin T2" in card.inner_text() and "0:04" in card.inner_text()
    assert "Đã thêm «Bản tin T2» (ban-tin-t2)" in page.locator(".notice").inner_text()
    entry = Catalogue.load(site.library).get("ban-tin-t2")
    assert entry is not None and f"{entry.loudness_lufs:.1f}".replace(".", ",") in (
        card.inner_text())

    # Playable: the player's source answers with audio, and Chromium decodes it.
    src = card.locator("audio").get_attribute("src")
    assert src == f"/audio/{entry.file}"
    fetched = page.request.get(f"{site.base_url}{src}", headers={"Range": "bytes=0-"})
    assert fetched.status in (200, 206) and fetched.headers["content-type"] == "audio/mpeg"
    duration = page.evaluate("""() => new Promise((done, failed) => {
        const player = document.querySelector('#item-ban-tin-t2 audio');
        player.addEventListener('loadedmetadata', () => done(player.duration));
        player.addEventListener('error', () => failed(String(player.error && player.error.code)));
        player.preload = 'auto'; player.load();
    })""")
    assert abs(duration - 4) < 0.5
    page.set_viewport_size(PHONE)  # the form too fits a phone
    assert no_sideways_scroll(page)

    # The daemon has it too: at its next file check an announcement may play it.
    deadline = time.monotonic() + 20
    while (answer := announce(site, token, "ban-tin-t2")).status_code != 201:
        assert answer.status_code == 422 and time.monotonic() < deadline, answer.text
        time.sleep(0.5)

    # Without script the plain form does the same (no progress shown, the same result).
    plain = chromium.new_context(java_script_enabled=False)
    bare = plain.new_page()
    sign_in(bare, site, OPERATOR, "/library")
    bare.fill("#upload-title-field", "Thông báo họp")
    bare.fill("#upload-name", "hop-thon")
    bare.set_input_files("#upload-file", str(recording(tmp_path / "hop.wav", 2)))
    bare.click(".upload-form button[type=submit]")
    bare.wait_for_url("**/library?added=hop-thon#item-hop-thon", timeout=60_000)
    assert bare.locator("#item-hop-thon.added audio").count() == 1

    # A viewer sees the list but no form, and a post made anyway is refused.
    viewer = chromium.new_context(viewport=PHONE)
    small = viewer.new_page()
    sign_in(small, site, VIEWER, "/library")
    assert small.locator("#item-ban-tin-t2").count() == 1
    assert small.locator("form.upload-form").count() == 0
    assert no_sideways_scroll(small)
    refused = small.request.post(
        f"{site.base_url}/library",
        multipart={"title": "Thử", "file": {"name": "a.wav", "mimeType": "audio/wav",
                                            "buffer": b"RIFF0000WAVE"}},
    )
    assert refused.status == 403
    assert sorted(Catalogue.load(site.library).entries) == [
        "ban-tin-sang", "ban-tin-t2", "hop-thon", "nhac-hieu"]
    for opened in (operator, plain, viewer):
        opened.close()
