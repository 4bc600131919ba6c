"""What every browser test of the console needs: Debian's Chromium driven by Playwright,
users made as an administrator makes them, and sign-in through the real form."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from .site import Site

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
PASSWORD = "mật-khẩu-thử"
VIEWER, OPERATOR = "huyen", "van-hoa"
PHONE = {"width": 360, "height": 740}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    if not CHROMIUM.exists():
        pytest.skip("no /usr/bin/chromium: `apt-get install chromium` to run the browser tests")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -e '.[test]'")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def add_user(site: Site, name: str, role: str) -> None:
    """As an administrator does: `broadcastd user add ... --password-stdin`."""
    made = subprocess.run(
        [sys.executable, "-m", "broadcastd", "user", "add", name, "--role", role,
         "--password-stdin", "--config", str(site.config)],
        input=f"{PASSWORD}\n", capture_output=True, text=True, timeout=60, check=False,
    )
    assert made.returncode == 0, made.stderr


def sign_in(page: Any, site: Site, name: str, path: str = "/") -> None:
    page.goto(f"{site.base_url}{path}")
    assert "/login?next=" in page.url  # no session: to sign-in first
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{site.base_url}{path}")


def cell(broadcast_id: str, cluster: str, key: str) -> str:
    return f'td[data-broadcast="{broadcast_id}"][data-cluster="{cluster}"][data-key="{key}"]'


def no_sideways_scroll(page: Any) -> bool:
    return bool(page.evaluate(
        "document.documentElement.scrollWidth <= document.documentElement.clientWidth"
    ))
