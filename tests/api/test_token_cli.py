"""`broadcastd token` and `broadcastd status --token...` as an administrator runs them,
in subprocesses, against a real server on the same SQLite file."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from broadcastd.api import create_app
from broadcastd.cli import main
from broadcastd.store import open_store

from .fakes import MORNING, MORNING_ID, Clock, FakeDaemon, bearer, serve

TOKEN_LINE = re.compile(r"bcd_[A-Za-z0-9_-]{43}\n")


@dataclass
class Site:
    config: Path
    base_url: str
    daemon: FakeDaemon

    def cli(self, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "broadcastd", *args]
        if args[0] == "token":
            command += ["--config", str(self.config)]
        return subprocess.run(
            command,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env={**os.environ, "BROADCASTD_LANG": "en", **(env or {})},  # English asserted
        )


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    database = tmp_path / "var" / "broadcastd.db"
    config = tmp_path / "broadcastd.yaml"
    config.write_text(f"database:\n  url: sqlite:///{database}\n", encoding="utf-8")
    store = open_store(f"sqlite:///{database}")
    store.start()
    store.record_broadcast(MORNING, ["coc-1"])
    assert store.flush()
    daemon = FakeDaemon(cancellable={MORNING_ID})
    app = create_app(store, daemon, now=Clock(MORNING.start))
    try:
        with serve(app) as base_url:
            yield Site(config, base_url, daemon)
    finally:
        store.stop()


def test_create_prints_only_the_token_list_never_shows_it_revoke_ends_it(site: Site) -> None:
    created = site.cli("token", "create", "--name", "district-script", "--role", "operator")
    assert created.returncode == 0, created.stderr
    assert TOKEN_LINE.fullmatch(created.stdout), created.stdout
    token = created.stdout.strip()
    assert "shown only this once" in created.stderr

    listed = site.cli("token", "list")
    assert listed.returncode == 0
    assert re.search(r"district-script\s+operator\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC\s+never", listed.stdout)
    assert token not in listed.stdout and token[4:] not in listed.stdout

    cancel = f"{site.base_url}/broadcasts/{MORNING_ID}/cancel"
    answer = httpx.post(cancel, json={"reason": "mourning day"}, headers=bearer(token))
    assert answer.status_code == 200, answer.text
    assert site.daemon.cancelled_by == [("district-script", "mourning day")]
    listed = site.cli("token", "list")
    assert "never" not in listed.stdout  # last used is shown

    revoked = site.cli("token", "revoke", "district-script")
    assert revoked.returncode == 0, revoked.stderr
    assert httpx.post(cancel, headers=bearer(token)).status_code == 401
    assert "district-script" not in site.cli("token", "list").stdout


def test_names_are_checked_and_duplicates_refused(
    site: Site, capsys: pytest.CaptureFixture[str]
) -> None:
    first = site.cli("token", "create", "--name", "kiosk", "--role", "viewer")
    assert first.returncode == 0
    again = site.cli("token", "create", "--name", "kiosk", "--role", "admin")
    assert again.returncode == 1 and again.stdout == ""
    assert "a token named 'kiosk' exists already" in again.stderr
    config = ["--config", str(site.config)]
    for bad in ("Kiosk", "kiosk\n", "ki osk", "-kiosk", "x" * 64, "timetable", "anonymous"):
        # In-process: the same command, without a Python start-up per name.
        assert main(["token", "create", f"--name={bad}", "--role", "viewer", *config]) == 2, bad
        printed = capsys.readouterr()
        assert printed.out == "" and "token name" in printed.err, bad
    assert main(["token", "revoke", "nobody", *config]) == 1
    assert "no token named 'nobody'" in capsys.readouterr().err


def test_status_sends_a_token_from_option_file_or_environment(
    site: Site, tmp_path: Path
) -> None:
    viewer = site.cli("token", "create", "--name", "kiosk", "--role", "viewer").stdout.strip()
    url = ["--url", site.base_url]

    without = site.cli("status", *url, env={"BROADCASTD_TOKEN": ""})
    assert without.returncode == 1
    assert "needs a token to read" in without.stdout and "--token-file" in without.stdout

    said = site.cli("status", *url, env={"BROADCASTD_TOKEN": "", "BROADCASTD_LANG": "vi"})
    assert said.returncode == 1
    assert f"broadcastd tại {site.base_url} cần mã truy cập để xem" in said.stdout

    wrong = site.cli("status", *url, "--token", "bcd_nonsense")
    assert wrong.returncode == 1 and "does not know this token" in wrong.stdout
    assert "bcd_nonsense" not in wrong.stdout

    token_file = tmp_path / "token"
    token_file.write_text(viewer + "\n", encoding="utf-8")
    for extra, env in (
        (["--token", viewer], {}),
        (["--token-file", str(token_file)], {}),
        ([], {"BROADCASTD_TOKEN": viewer}),
    ):
        shown = site.cli("status", *url, *extra, env=env)
        assert shown.returncode == 0, shown.stdout
        assert "man-lan" in shown.stdout and "khai-xuan" in shown.stdout  # summed up
    one = site.cli("status", *url, "--token", viewer, "--commune", "man-lan")
    assert one.returncode == 0 and "coc-1" in one.stdout, one.stdout
