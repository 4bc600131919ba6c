"""A broadcast server as users run it: timetables and config on disk, `broadcastd run`
as its own process, its SQLite file read (read-only) to time what it stored."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import paho.mqtt.client as mqtt
import yaml
from paho.mqtt.enums import CallbackAPIVersion

from bench.proc import REPO
from broadcastd.contract import TopicKind, topic
from broadcastd.planning.occurrences import broadcast_id

BROKER_HOST = "127.0.0.1"
# The bench's own Mosquitto (see `broker.py`): run.py sets the port for every process.
def broker_port() -> int:
    return int(os.environ.get("BENCH_BROKER_PORT", "1883"))


def server_url() -> str | None:
    """A PostgreSQL maintenance URL (`--database-url`): each daemon gets its own database
    on that server; None: a SQLite file each."""
    return os.environ.get("BENCH_DATABASE_URL") or None


def read_only(database: str) -> Any:
    """A DB-API connection that reads what the daemon committed: a SQLite path, or a
    PostgreSQL URL (autocommit, so each read sees the latest commits)."""
    if database.startswith("postgresql"):
        import psycopg

        return psycopg.connect(database.replace("+psycopg", ""), autocommit=True)
    return sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=10)


def _maintenance(sql: str) -> None:
    from sqlalchemy import create_engine, text

    server = server_url()
    assert server is not None
    engine = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(text(sql))
    finally:
        engine.dispose()
COMMUNE_SIZE = 22  # a real commune: 22 clusters in 15 areas
STREAM = {"stream": "http://127.0.0.1:9/relay", "title": "Tiếp sóng huyện"}


@dataclass(frozen=True)
class SlotSpec:
    """A slot at whole local seconds (timetables have one-second precision)."""

    id: str
    start: datetime
    end: datetime


def bench_zone(span: timedelta = timedelta(minutes=30)) -> ZoneInfo:
    """A time zone in which the next `span` stays on one local date (slots may not
    cross local midnight)."""
    now = datetime.now(UTC)
    for name in ("Asia/Ho_Chi_Minh", "UTC", "America/New_York"):
        zone = ZoneInfo(name)
        local = now.astimezone(zone)
        if (local + span).date() == local.date():
            return zone
    raise RuntimeError("no time zone without a midnight in the next half hour")


def whole_second(after_s: float) -> datetime:
    """The first whole second at least `after_s` from now, in UTC."""
    moment = datetime.now(UTC) + timedelta(seconds=after_s)
    return moment.replace(microsecond=0) + timedelta(seconds=1)


def communes(tag: str, clusters: int) -> list[tuple[str, list[str]]]:
    """`clusters` clusters as communes of 22 (the last one smaller): (commune, clusters)."""
    result = []
    for number, first in enumerate(range(0, clusters, COMMUNE_SIZE)):
        size = min(COMMUNE_SIZE, clusters - first)
        result.append((f"{tag}-{number:03d}", [f"kl-{i:02d}" for i in range(1, size + 1)]))
    return result


def timetable(
    commune: str, clusters: list[str], zone: ZoneInfo, slots: list[SlotSpec]
) -> dict[str, Any]:
    areas = [
        {"id": f"khu-{n + 1}", "name": f"Khu {n + 1}", "clusters": clusters[i : i + 2]}
        for n, i in enumerate(range(0, len(clusters), 2))
    ]
    return {
        "commune": {"id": commune, "name": f"Xã {commune}", "timezone": str(zone)},
        "areas": areas,
        "slots": [
            {
                "id": slot.id,
                "title": "Bản tin",
                "start": slot.start.astimezone(zone).strftime("%H:%M:%S"),
                "end": slot.end.astimezone(zone).strftime("%H:%M:%S"),
                "volume": 70,
                "priority": 0,
                # A relay that fills the slot's window exactly.
                "playlist": [{**STREAM, "duration_s": (slot.end - slot.start).total_seconds()}],
            }
            for slot in slots
        ],
    }


def slot_bid(commune: str, slot: SlotSpec, zone: ZoneInfo) -> str:
    return broadcast_id(commune, slot.id, slot.start.astimezone(zone).date())


@dataclass
class BenchDaemon:
    """One `broadcastd run` with its own folder, topic prefix, port and database."""

    root: Path
    prefix: str
    http_port: int
    zone: ZoneInfo
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    ready_s: float = 0.0
    peak_rss_mb: float = 0.0
    _db: Any = field(default=None, repr=False)
    _spy: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def schedules(self) -> Path:
        return self.root / "schedules"

    @property
    def database(self) -> str:
        """Where the daemon stores: a SQLite file, or its own PostgreSQL database."""
        server = server_url()
        if server is None:
            return str(self.root / "broadcastd.db")
        from sqlalchemy.engine import make_url

        name = "bench_" + "".join(ch if ch.isalnum() else "_" for ch in self.prefix).lower()
        return make_url(server).set(database=name).render_as_string(hide_password=False)

    @property
    def database_url(self) -> str:
        return self.database if server_url() else f"sqlite:///{self.database}"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def client_id(self) -> str:
        return f"broadcastd-{self.prefix}"

    def write_timetables(self, tables: dict[str, dict[str, Any]]) -> None:
        """One file per commune, each replaced atomically (the daemon may be reading)."""
        self.schedules.mkdir(parents=True, exist_ok=True)
        for commune, data in tables.items():
            path = self.schedules / f"{commune}.yaml"
            temporary = path.with_suffix(".tmp")
            temporary.write_text(
                yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8"
            )
            temporary.replace(path)

    def write_config(self) -> Path:
        library = self.root / "audio_library"
        library.mkdir(parents=True, exist_ok=True)
        config = {
            "broker": {
                "url": f"mqtt://{BROKER_HOST}:{broker_port()}",
                "client_id": self.client_id,
                "topic_prefix": self.prefix,
                # run.py --retained-by-name: a broker like RabbitMQ (docs/brokers.md)
                "retained_on_wildcards": not os.environ.get("BENCH_RETAINED_BY_NAME"),
            },
            "database": {"url": self.database_url},
            "http": {
                "listen": f"127.0.0.1:{self.http_port}",
                "public_base_url": self.base_url,
                "anonymous_read": True,  # loopback; the bench reads /schedule and /status
            },
            "paths": {"schedules": str(self.schedules), "audio_library": str(library)},
            # Plays go out at the slot start, so lag is measured from the slot start.
            "delivery": {"lead_time_s": 0},
            "logging": {"level": "info", "format": "json"},
        }
        path = self.root / "broadcastd.yaml"
        path.write_text(yaml.safe_dump(config), encoding="utf-8")
        return path

    def start(self, timeout: float = 120.0) -> float:
        """`broadcastd run --config`; returns seconds from spawn to /healthz ok."""
        config = self.write_config()
        if server_url() is not None:
            from sqlalchemy.engine import make_url

            name = make_url(self.database).database
            _maintenance(f"DROP DATABASE IF EXISTS {name}")
            _maintenance(f"CREATE DATABASE {name}")
        log = (self.root / "daemon.log").open("ab")
        self.started_at = time.monotonic()
        traced = os.environ.get("BENCH_TRACEMALLOC")  # where to write what holds memory
        command = (["-m", "bench.traced", str(self.root / "tracemalloc.txt")] if traced
                   else ["-m", "broadcastd"])
        self.process = subprocess.Popen(
            [sys.executable, *command, "run", "--config", str(config)],
            cwd=REPO,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        deadline = self.started_at + timeout
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"daemon exited:\n{self.log_tail()}")
                try:
                    if client.get(f"{self.base_url}/healthz").status_code == 200:
                        self.ready_s = time.monotonic() - self.started_at
                        self._profile()
                        return self.ready_s
                except httpx.HTTPError:
                    pass
                time.sleep(0.02)
        raise RuntimeError(f"daemon not healthy within {timeout} s:\n{self.log_tail()}")

    def _profile(self) -> None:
        """With BENCH_PROFILE set, py-spy samples the daemon until it stops (collapsed
        stacks per thread in the daemon's folder)."""
        if not os.environ.get("BENCH_PROFILE") or self.process is None:
            return
        spy = Path(sys.executable).with_name("py-spy")
        self._spy = subprocess.Popen(
            [str(spy), "record", "-p", str(self.process.pid), "-r", "50", "--threads",
             "--nonblocking", "-f", "raw", "-o", str(self.root / "profile.txt")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )

    def rss_mb(self) -> tuple[float, float]:
        """(current, peak) resident set of the daemon process, MB, from /proc."""
        assert self.process is not None
        fields = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            fields[key] = value.strip()
        current = int(fields["VmRSS"].split()[0]) / 1024
        peak = int(fields["VmHWM"].split()[0]) / 1024
        self.peak_rss_mb = max(self.peak_rss_mb, peak)
        return current, peak

    def stop(self) -> None:
        process, self.process = self.process, None
        if self._db is not None:
            self._db.close()
            self._db = None
        if process is None:
            return
        if process.poll() is None:
            try:
                self.peak_rss_mb = max(self.peak_rss_mb, self._peak(process.pid))
            except OSError:
                pass
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._spy is not None:
            try:
                self._spy.wait(30)
            except subprocess.TimeoutExpired:
                self._spy.kill()
        forget_session(self.client_id)
        if server_url() is not None:
            from sqlalchemy.engine import make_url

            _maintenance(f"DROP DATABASE IF EXISTS {make_url(self.database).database} "
                         "WITH (FORCE)")

    @staticmethod
    def _peak(pid: int) -> float:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def log_tail(self, chars: int = 4000) -> str:
        path = self.root / "daemon.log"
        return path.read_text(errors="replace")[-chars:] if path.exists() else ""

    # -- what the daemon stored ---------------------------------------------------------

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        if self._db is None:
            self._db = read_only(self.database)
        return list(self._db.execute(sql, params).fetchall())

    def planned(self, hours: float = 1.0) -> set[str]:
        """Broadcast ids the daemon has planned (GET /schedule)."""
        answer = httpx.get(f"{self.base_url}/schedule", params={"hours": hours}, timeout=30)
        answer.raise_for_status()
        return {occ["broadcast_id"] for occ in answer.json()["occurrences"]}


def utc_epoch(value: str | datetime | None) -> float | None:
    """A time as the store writes it (SQLite: naive UTC text; PostgreSQL: aware) as
    epoch seconds."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment).timestamp()


def forget_session(client: str) -> None:
    """End a persistent session left on the broker (clean-session connect, disconnect)."""
    link = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client, clean_session=True)
    try:
        link.connect(BROKER_HOST, broker_port())
        link.loop(0.2)
        link.disconnect()
    except OSError:
        pass


def clear_retained(prefix: str, clusters: list[tuple[str, str]]) -> None:
    """Remove the fleet's retained `state` messages, so the broker does not keep them."""
    link = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"bench-clean-{prefix}")
    link.max_queued_messages_set(0)
    link.max_inflight_messages_set(1000)
    try:
        link.connect(BROKER_HOST, broker_port())
    except OSError:
        return
    link.loop_start()
    last = None
    for commune, cluster in clusters:
        last = link.publish(topic(prefix, commune, cluster, TopicKind.STATE), b"", 1, True)
    if last is not None:
        last.wait_for_publish(30)
    link.disconnect()
    link.loop_stop()
