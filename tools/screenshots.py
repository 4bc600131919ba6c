"""Screenshots of the console's pages for the README and docs/console.md.

Runs `broadcastd run --demo --simulate` on the shipped timetables and audio in a
temporary directory, adds a viewer and an operator, waits until the first demo slot
plays, then photographs each page at desktop and phone width with Debian's Chromium
(driven by Playwright) into docs/screenshots/:

    .venv/bin/python tools/screenshots.py
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
PASSWORD = "demo-mat-khau"
SIZES = {"desktop": {"width": 1280, "height": 860}, "phone": {"width": 360, "height": 780}}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def write_config(root: Path) -> tuple[Path, str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    config = root / "broadcastd.yaml"
    config.write_text(yaml.safe_dump({
        "broker": {"url": f"embedded://127.0.0.1:{free_port()}"},
        "database": {"url": f"sqlite:///{root / 'demo.db'}"},
        "http": {"listen": f"127.0.0.1:{port}", "public_base_url": base},
        "paths": {"schedules": str(ROOT / "schedules"),
                  "audio_library": str(ROOT / "audio_library")},
        "logging": {"format": "json"},
    }), encoding="utf-8")
    return config, base


def add_user(config: Path, name: str, role: str) -> None:
    subprocess.run(
        [sys.executable, "-m", "broadcastd", "user", "add", name, "--role", role,
         "--password-stdin", "--config", str(config)],
        input=PASSWORD, text=True, check=True, capture_output=True,
    )


def wait_playing(base: str, token: str, timeout: float = 120) -> str:
    """The id of the first broadcast some cluster plays."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            answer = httpx.get(f"{base}/broadcasts", params={"state": "playing"},
                               headers={"Authorization": f"Bearer {token}"}, timeout=5)
            found = answer.json().get("broadcasts", []) if answer.status_code == 200 else []
            if found:
                return str(found[-1]["broadcast_id"])
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise SystemExit("no demo broadcast played within two minutes")


def first_cluster(base: str, token: str, broadcast: str) -> str:
    """A cluster the broadcast went to, for the cluster page's picture."""
    answer = httpx.get(f"{base}/broadcasts/{broadcast}",
                       headers={"Authorization": f"Bearer {token}"}, timeout=5)
    return str(answer.json()["clusters"][0]["cluster"])
def signed_in_page(browser: Browser, base: str, user: str, path: str,
                   viewport: dict[str, int]) -> tuple[BrowserContext, Page]:
    """A new browser at `viewport`, `user` signed in through the form, at `path`."""
    context = browser.new_context(viewport=viewport)  # type: ignore[arg-type]
    page = context.new_page()
    page.goto(f"{base}{path}")
    page.fill("#name", user)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    return context, page


def saved(page: Page, name: str, full_page: bool) -> None:
    target = OUT / f"{name}.png"
    page.screenshot(path=str(target), full_page=full_page)
    print(target.relative_to(ROOT), target.stat().st_size // 1024, "KiB")


def shoot(browser: Browser, base: str, user: str, path: str, name: str) -> None:
    for size, viewport in SIZES.items():
        context, page = signed_in_page(browser, base, user, path, viewport)
        saved(page, f"{name}-{size}", full_page=size == "desktop")
        context.close()


def shoot_announce(browser: Browser, base: str) -> None:
    """The Announce form (desktop and phone), and its confirmation at phone width for
    khu-7 of Mạn Lạn with the flood warning: what an official sees before sending."""
    for size in ("desktop", "phone"):
        context, page = signed_in_page(browser, base, "van-hoa", "/announce?commune=man-lan",
                                       SIZES[size])
        page.wait_for_selector("form.announce-form")
        page.check("input[name=areas][value=khu-7]")
        page.select_option("#audio", "canh-bao-lu")
        page.check("input[name=priority][value=emergency]")
        page.fill("#reason", "Nước sông Chảy lên nhanh")
        page.evaluate("document.activeElement.blur(); window.scrollTo(0, 0)")
        saved(page, f"announce-{size}", full_page=size == "desktop")
        if size == "phone":
            page.click("form.announce-form button[type=submit]")
            page.wait_for_selector("form.confirm-form")
            saved(page, "announce-confirm-phone", full_page=True)
        context.close()


def wait_ended(base: str, token: str, broadcast: str, timeout: float = 180) -> None:
    """Until `broadcast` is over, so the report has outcomes to count."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        answer = httpx.get(f"{base}/broadcasts/{broadcast}",
                           headers={"Authorization": f"Bearer {token}"}, timeout=5)
        if answer.status_code == 200 and answer.json().get("phase") == "ended":
            return
        time.sleep(2)
    raise SystemExit(f"{broadcast} did not end within {timeout:.0f} s")


def shoot_print(browser: Browser, base: str, user: str, path: str, name: str) -> None:
    """The print view as the browser prints it (A4 is about 794 px wide at 96 dpi)."""
    context, page = signed_in_page(browser, base, user, path, {"width": 794, "height": 1123})
    page.emulate_media(media="print")
    saved(page, name, full_page=True)
    context.close()


def token(config: Path) -> str:
    made = subprocess.run(
        [sys.executable, "-m", "broadcastd", "token", "create", "--name", "screenshots",
         "--role", "viewer", "--config", str(config)],
        text=True, check=True, capture_output=True,
    )
    return made.stdout.strip()


def main() -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as folder:
        config, base = write_config(Path(folder))
        log = (Path(folder) / "daemon.log").open("wb")
        daemon = subprocess.Popen(
            [sys.executable, "-m", "broadcastd", "run", "--demo", "--simulate",
             "--config", str(config)], stdout=log, stderr=subprocess.STDOUT,
        )
        try:
            add_user(config, "can-bo-xa", "viewer")
            add_user(config, "van-hoa", "operator")
            reader = token(config)
            broadcast = wait_playing(base, reader)
            time.sleep(3)  # some clusters further on, for a livelier picture
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
                shoot(browser, base, "can-bo-xa", "/", "today")
                shoot(browser, base, "van-hoa", f"/broadcast/{broadcast}", "broadcast")
                commune = broadcast.split("/")[0]
                cluster = first_cluster(base, reader, broadcast)
                shoot(browser, base, "can-bo-xa", f"/cluster/{commune}/{cluster}", "cluster")
                shoot(browser, base, "can-bo-xa", f"/timetable?commune={commune}", "timetable")
                shoot(browser, base, "van-hoa", "/library", "library")
                shoot_announce(browser, base)
                wait_ended(base, reader, broadcast)  # the report counts its outcomes
                shoot(browser, base, "can-bo-xa", "/reports", "reports")
                shoot_print(browser, base, "can-bo-xa", "/reports?print=1", "reports-print")
                browser.close()
        finally:
            daemon.terminate()
            daemon.wait(30)


if __name__ == "__main__":
    main()
