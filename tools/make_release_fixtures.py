"""Databases made by the last release before migrations (commit 711ca29), kept as SQL.

The release's own `broadcastd/` is taken out of git (`git archive 711ca29`) and run in a
child process, through its own store API, against a scratch SQLite file and a scratch
PostgreSQL schema: broadcasts, deliveries, sends, acks, presence, rejections, a cancel,
a revision, an API token, a user and a session, an announcement (and the audit log each
of these writes). Each database is dumped as SQL into tests/store/fixtures/, which
tests/store/test_release_upgrade.py loads and upgrades with today's code.

    .venv/bin/python tools/make_release_fixtures.py

Run it again only to change what the fixtures hold: they stand for that release, not
for today's code. Needs git, pg_dump and the test PostgreSQL (tests/postgres.py).
"""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
from io import BytesIO
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy.engine import make_url

from tests.postgres import session_database

RELEASE = "711ca29"
FIXTURES = ROOT / "tests" / "store" / "fixtures"
SQLITE_FIXTURE = FIXTURES / f"release-{RELEASE}.sqlite.sql"
POSTGRES_FIXTURE = FIXTURES / f"release-{RELEASE}.postgresql.sql"

POPULATE = r'''
import sys
from datetime import UTC, date, datetime, timedelta

import broadcastd
assert broadcastd.__file__.startswith(sys.argv[2]), broadcastd.__file__

from broadcastd.access.passwords import hash_password
from broadcastd.access.tokens import token_digest
from broadcastd.announce import persist
from broadcastd.contract import Ack
from broadcastd.planning.occurrences import Occurrence
from broadcastd.store import BroadcastRecord, open_store
from broadcastd.store import access, users
from broadcastd.store.writer import WriteOp
from broadcastd.timetable.model import Item
from zoneinfo import ZoneInfo

START = datetime(2026, 11, 28, 22, 30, tzinfo=UTC)  # 05:30 in Mạn Lạn, 29 November
AT = START - timedelta(minutes=5)
store = open_store(sys.argv[1], now=lambda: AT)
store.start()
morning = BroadcastRecord(
    "man-lan/morning/2026-11-29", "man-lan", "morning", date(2026, 11, 29),
    "Bản tin sáng", START, START + timedelta(minutes=30), 0, 80,
    START - timedelta(minutes=2), item_durations=(600.0, 45.5),
)
evening = BroadcastRecord(
    "khai-xuan/evening/2026-11-29", "khai-xuan", "evening", date(2026, 11, 29),
    "Thời sự chiều", START + timedelta(hours=11), START + timedelta(hours=12), 1, 70,
    START + timedelta(hours=11, minutes=-2),
)
store.record_broadcast(morning, ["ban-coc", "ban-lung", "ban-na-hu"])
store.record_broadcast(evening, ["xom-1", "xom-2"])
store.record_revision("man-lan/morning/2026-11-29", 1, "f" * 64, AT)
for cluster in ("ban-coc", "ban-lung", "ban-na-hu"):
    store.record_send(morning.broadcast_id, cluster, "play", "published", AT)
    store.record_publish_confirmed(morning.broadcast_id, cluster, AT + timedelta(seconds=1))
store.record_send(morning.broadcast_id, "ban-na-hu", "play", "queued", AT + timedelta(minutes=1))
for n, (state, item, detail) in enumerate([
    ("received", None, ""), ("ready", None, ""), ("playing", 0, ""),
    ("suspended", 0, "man-lan/announce-053500/2026-11-29"), ("playing", 1, "resumed"),
    ("finished", None, ""),
]):
    ack = Ack(morning.broadcast_id, state, START + timedelta(seconds=n), item=item,
              detail=detail)
    store.record_ack("man-lan", "ban-coc", ack, START + timedelta(seconds=n, milliseconds=300))
store.record_ack("man-lan", "ban-lung", Ack(morning.broadcast_id, "received", AT),
                 AT + timedelta(seconds=1))
store.record_ack("man-lan", "ban-lung", Ack(morning.broadcast_id, "failed", START, item=0,
                 detail="audio fetch: HTTP 404"), START + timedelta(seconds=1))
store.record_presence("man-lan", "ban-coc", True, "2.4.1", 80, AT - timedelta(hours=1))
store.record_presence("man-lan", "ban-lung", True, "2.4.0", None, AT - timedelta(hours=1))
store.record_presence("man-lan", "ban-na-hu", False, None, None, AT - timedelta(minutes=30))
store.record_presence("khai-xuan", "xom-1", True, "2.4.1", 65, AT)
store.count_rejected("bad-json", "man-lan/ban-coc/ack", b"{not json", AT)
store.count_rejected("bad-json", "man-lan/ban-lung/ack", b"\xff\xfe", AT + timedelta(seconds=2))
store.cancel_broadcast(evening.broadcast_id, AT, by="district-script", reason="mất điện")
assert store.flush()

def keep_access(conn):
    access.add_token(conn, "district-script", "operator", token_digest("t" * 43), AT, "cli:root")
    access.mark_used(conn, "district-script", AT + timedelta(minutes=1))
    users.add_user(conn, "lan", "operator", hash_password("mật khẩu dài"), AT, "cli:root")
    users.start_session(conn, "d" * 64, "lan", "c" * 64, AT, AT + timedelta(hours=12))

store.commit(WriteOp("access", keep_access))
zone = ZoneInfo("Asia/Ho_Chi_Minh")
notice = Occurrence(
    commune="man-lan", slot="announce-053500", title="Thông báo khẩn: nước lũ",
    local_date=date(2026, 11, 29), start=(START + timedelta(minutes=5)).astimezone(zone),
    end=(START + timedelta(minutes=10)).astimezone(zone), priority=5, volume=90,
    clusters=("ban-coc",), playlist=(Item(text="Nước sông Hồng đang lên."),),
)
persist.save(store, notice, by="lan", reason="lũ", at=AT)
store.stop()
'''


def release_source(into: Path) -> Path:
    """The release's `broadcastd` package, out of git, under `into`."""
    archive = subprocess.run(
        ["git", "archive", "--format=tar", RELEASE, "broadcastd"],
        cwd=ROOT, check=True, capture_output=True,
    ).stdout
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(into, filter="data")
    return into


def populate(url: str, source: Path) -> None:
    """Run the release's code on `url` (a fresh database) in a child process."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    subprocess.run(
        [sys.executable, "-c", POPULATE, url, str(source)], cwd=source, env=env, check=True
    )


def sqlite_fixture(source: Path, scratch: Path) -> str:
    database = scratch / "release.db"
    populate(f"sqlite:///{database}", source)
    with sqlite3.connect(database) as conn:
        return "\n".join(conn.iterdump()) + "\n"


def postgres_fixture(source: Path) -> str:
    """The schema dumped by pg_dump, its name taken out (the test loads it into its own)."""
    with session_database() as database, database.schema() as url:
        populate(url, source)
        parsed = make_url(database.url)
        found = re.search(r"search_path(?:=|%3D)(\w+)", url)
        assert found is not None, url
        schema = found.group(1)
        dump = subprocess.run(
            ["pg_dump", "-h", parsed.host or "127.0.0.1", "-p", str(parsed.port or 5432),
             "-U", parsed.username or "postgres", "-d", str(parsed.database),
             f"--schema={schema}", "--inserts", "--no-owner", "--no-privileges"],
            check=True, capture_output=True, text=True,
        ).stdout
    return _neutral(dump, schema)


def _neutral(dump: str, schema: str) -> str:
    """pg_dump's statements without the session settings and the schema's name."""
    kept = []
    for line in dump.splitlines():
        if line.startswith(("--", "SET ", "SELECT pg_catalog.set_config", "\\")):
            continue
        if line.startswith(f"CREATE SCHEMA {schema}") or not line.strip():
            continue
        kept.append(re.sub(rf"\b{schema}\.", "", line))
    return "\n".join(kept) + "\n"


def main() -> int:
    FIXTURES.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        source = release_source(Path(scratch) / "release")
        SQLITE_FIXTURE.write_text(sqlite_fixture(source, Path(scratch)))
        POSTGRES_FIXTURE.write_text(postgres_fixture(source))
    for fixture in (SQLITE_FIXTURE, POSTGRES_FIXTURE):
        print(f"{fixture.relative_to(ROOT)}: {fixture.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
