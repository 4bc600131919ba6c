"""`broadcastd user` as an administrator runs it: subprocesses on a real SQLite file,
the password given on stdin."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from broadcastd.access.passwords import verify_password
from broadcastd.store.access import changes_of
from broadcastd.store.engine import make_engine
from broadcastd.store.users import credentials_of


class Admin:
    def __init__(self, tmp_path: Path) -> None:
        self.database = tmp_path / "var" / "broadcastd.db"
        self.config = tmp_path / "broadcastd.yaml"
        self.config.write_text(f"database:\n  url: sqlite:///{self.database}\n", encoding="utf-8")

    def user(self, *args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "broadcastd", "user", *args, "--config", str(self.config)],
            input=stdin,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            env=dict(os.environ),
        )

    def stored_hash(self, name: str) -> str | None:
        engine = make_engine(f"sqlite:///{self.database}")
        try:
            with engine.connect() as conn:
                found = credentials_of(conn, name)
        finally:
            engine.dispose()
        return None if found is None else found.password_hash

    def audit(self, name: str) -> list[str]:
        engine = make_engine(f"sqlite:///{self.database}")
        try:
            with engine.connect() as conn:
                return [f"{c.action} by {c.actor}" for c in changes_of(conn, f"user/{name}")]
        finally:
            engine.dispose()


@pytest.fixture
def admin(tmp_path: Path) -> Admin:
    return Admin(tmp_path)


def test_add_list_passwd_remove(admin: Admin) -> None:
    added = admin.user("add", "van-hoa", "--role", "operator", "--password-stdin",
                       stdin="mật khẩu dài\n")
    assert added.returncode == 0, added.stderr
    stored = admin.stored_hash("van-hoa")
    assert stored is not None and stored.startswith("$argon2id$")
    assert verify_password(stored, "mật khẩu dài")

    listed = admin.user("list")
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"NAME\s+ROLE\s+CREATED\s+LAST SIGN-IN", listed.stdout)
    assert re.search(r"van-hoa\s+operator\s+\d{4}-\d\d-\d\d \d\d:\d\d UTC\s+never", listed.stdout)
    assert "argon2" not in listed.stdout + listed.stderr
    assert "mật khẩu" not in listed.stdout + listed.stderr

    changed = admin.user("passwd", "van-hoa", "--password-stdin", stdin="another-secret\n")
    assert changed.returncode == 0, changed.stderr
    stored = admin.stored_hash("van-hoa")
    assert stored is not None and verify_password(stored, "another-secret")
    assert not verify_password(stored, "mật khẩu dài")

    removed = admin.user("remove", "van-hoa")
    assert removed.returncode == 0, removed.stderr
    assert admin.stored_hash("van-hoa") is None
    assert "no users" in admin.user("list").stdout
    audit = admin.audit("van-hoa")
    assert [entry.split(" by ")[0] for entry in audit] == ["user add", "user passwd", "user remove"]
    assert all(entry.split(" by ")[1].startswith("cli") for entry in audit)


def test_refusals_say_what_to_do(admin: Admin) -> None:
    bad_name = admin.user("add", "Văn Hoá", "--role", "viewer", "--password-stdin",
                          stdin="long-enough\n")
    assert bad_name.returncode == 2 and "lower-case letters" in bad_name.stderr
    # Full match: a valid name followed by junk is refused, not cut short.
    tail = admin.user("add", "van-hoa\nx", "--role", "viewer", "--password-stdin",
                      stdin="long-enough\n")
    assert tail.returncode == 2
    reserved = admin.user("add", "timetable", "--role", "viewer", "--password-stdin",
                          stdin="long-enough\n")
    assert reserved.returncode == 2 and "reserved" in reserved.stderr
    short = admin.user("add", "van-hoa", "--role", "viewer", "--password-stdin", stdin="short\n")
    assert short.returncode == 2 and "at least 8" in short.stderr
    assert admin.stored_hash("van-hoa") is None

    assert admin.user("add", "van-hoa", "--role", "viewer", "--password-stdin",
                      stdin="long-enough\n").returncode == 0
    again = admin.user("add", "van-hoa", "--role", "admin", "--password-stdin",
                       stdin="long-enough\n")
    assert again.returncode == 1 and "user passwd van-hoa" in again.stderr
    assert admin.user("remove", "nobody").returncode == 1
    assert admin.user("passwd", "nobody", "--password-stdin", stdin="long-enough\n").returncode == 1
