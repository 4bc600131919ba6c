"""/docs works on a server with no internet: headless Chromium renders it from the
vendored Swagger UI while every request off this machine goes to a recorder that
answers nothing."""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from broadcastd.api import create_app
from broadcastd.store import Store

from .fakes import FakeDaemon, serve

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
# Chromium's own housekeeping (clock sync, component updates, sign-in), which the page
# does not cause; anything else that leaves the machine is the page's doing.
BROWSER_OWN_HOSTS = {"clients2.google.com", "update.googleapis.com", "accounts.google.com"}


class Recorder:
    """An HTTP proxy that writes down what it is asked for and serves nothing."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(32)
        self.requests: list[str] = []
        threading.Thread(target=self._run, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _run(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                try:
                    self.requests.append(conn.recv(4096).split(b"\r\n")[0].decode("latin-1"))
                except OSError:
                    pass

    def foreign_hosts(self) -> set[str]:
        hosts = set()
        for line in self.requests:
            target = line.split(" ")[1] if " " in line else line
            host = target.split("://")[-1].split("/")[0].split(":")[0]
            hosts.add(host)
        return hosts - BROWSER_OWN_HOSTS


@pytest.fixture
def recorder() -> Iterator[Recorder]:
    recorder = Recorder()
    yield recorder
    recorder.sock.close()


@pytest.mark.skipif(CHROMIUM is None, reason="needs chromium (`apt-get install chromium`)")
def test_docs_render_with_bearer_authorize_and_no_outside_request(
    store: Store, recorder: Recorder, tmp_path: Path
) -> None:
    assert CHROMIUM is not None
    with serve(create_app(store, FakeDaemon())) as base_url:
        page = subprocess.run(
            [
                CHROMIUM,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                f"--proxy-server={recorder.url}",  # loopback bypasses it, the rest is caught
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
                "--disable-sync",
                "--disable-extensions",
                f"--user-data-dir={tmp_path / 'profile'}",
                "--virtual-time-budget=15000",
                "--dump-dom",
                f"{base_url}/docs",
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    dom = page.stdout
    assert page.returncode == 0, page.stderr[-2000:]
    # Drawn by Swagger UI's script from /openapi.json: the assets loaded and ran.
    assert "/broadcasts/{broadcast_id}/cancel" in dom, dom[:2000]
    assert 'class="btn authorize' in dom  # the bearer scheme gives the Authorize button
    assert recorder.foreign_hosts() == set(), recorder.requests


def test_docs_page_refers_only_to_this_server(store: Store) -> None:
    import httpx

    with serve(create_app(store, FakeDaemon())) as base_url:
        html = httpx.get(f"{base_url}/docs").text
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"):
            assert f"/static/swagger-ui/{asset}" in html
            assert httpx.get(f"{base_url}/static/swagger-ui/{asset}").status_code == 200
    assert "https://" not in html and "http://" not in html, html
