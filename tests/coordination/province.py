"""A province as the failover test and bench/failover.py set it up: communes' timetables
in one folder, several `broadcastd run` processes with leases on one PostgreSQL and one
Mosquitto, a simulated fleet of every cluster."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import yaml
from sqlalchemy import create_engine, text

from broadcastd.planning.occurrences import broadcast_id
from broadcastd.simulate.fleet import ClusterId, FleetConfig
from broadcastd.store.schema import NO_ITEM

CLUSTERS = ("loa-01", "loa-02")
SLOT = "sang"


@dataclass
class Communes:
    """N small communes, two clusters each, one slot per commune at the same time."""

    ids: list[str]
    zone: ZoneInfo
    start: datetime
    end: datetime

    @classmethod
    def make(cls, count: int, ahead_s: float, length_s: float) -> Communes:
        tag = uuid.uuid4().hex[:5]
        made = cls([f"p{tag}-{n:02d}" for n in range(1, count + 1)], ZoneInfo("UTC"),
                   datetime.now(UTC), datetime.now(UTC))
        made.move(ahead_s, length_s)
        return made

    def move(self, ahead_s: float, length_s: float) -> None:
        """The slot from `ahead_s` seconds from now (whole seconds), on one local date."""
        start = (datetime.now(UTC) + timedelta(seconds=ahead_s)).replace(microsecond=0)
        start += timedelta(seconds=1)
        zone = ZoneInfo("Asia/Ho_Chi_Minh")
        local = start.astimezone(zone)
        if (local + timedelta(seconds=length_s)).date() != local.date():
            zone = ZoneInfo("UTC")
        self.zone = zone
        self.start = start.astimezone(zone)
        self.end = self.start + timedelta(seconds=length_s)

    def broadcast_id(self, commune: str) -> str:
        return broadcast_id(commune, SLOT, self.start.date())

    def write(self, folder: Path, playlist: list[dict[str, Any]]) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for commune in self.ids:
            data = {
                "commune": {"id": commune, "name": f"Xã {commune}", "timezone": str(self.zone)},
                "areas": [{"id": f"khu-{n}", "name": f"Khu {n}", "clusters": [name]}
                          for n, name in enumerate(CLUSTERS, start=1)],
                "slots": [{
                    "id": SLOT, "title": "Bản tin sáng",
                    "start": self.start.strftime("%H:%M:%S"),
                    "end": self.end.strftime("%H:%M:%S"),
                    "volume": 70, "priority": 0, "playlist": playlist,
                }],
            }
            path = folder / f"{commune}.yaml"
            path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False),
                            encoding="utf-8")

    def fleet_config(self, prefix: str, port: int = 1883, **options: Any) -> FleetConfig:
        return FleetConfig(
            clusters=tuple(ClusterId(c, name) for c in self.ids for name in CLUSTERS),
            prefix=prefix, port=port, **options,
        )


@dataclass
class DaemonProcess:
    name: str
    root: Path
    http_port: int
    process: subprocess.Popen[bytes] | None = None
    log_path: Path | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def own_url(self) -> str:
        return f"http://localhost:{self.http_port}"

    def write_config(self, *, schedules: Path, library: Path, database_url: str, prefix: str,
                     lease_s: float, broker_port: int = 1883, shared: bool = True) -> None:
        """`shared`: a broker like Mosquitto (shared subscriptions, retained messages on
        wildcards); False: one like RabbitMQ 3.x, which has neither."""
        self.root.mkdir(parents=True, exist_ok=True)
        config = {
            "broker": {"url": f"mqtt://127.0.0.1:{broker_port}",
                       "client_id": f"broadcastd-{prefix}", "topic_prefix": prefix,
                       "shared_subscriptions": shared, "retained_on_wildcards": shared},
            "database": {"url": database_url},
            # The audio URL as the clusters reach it; the daemon's own address (how an
            # operator reaches this daemon) told apart, as docs/scaling.md advises.
            "http": {"listen": f"127.0.0.1:{self.http_port}",
                     "public_base_url": self.base_url, "anonymous_read": True},
            "paths": {"schedules": str(schedules), "audio_library": str(library)},
            "delivery": {"lead_time_s": 2,
                         "resend": {"first_after_s": 2, "factor": 2, "max_delay_s": 10}},
            "coordination": {"mode": "leases", "lease_s": lease_s, "name": self.name,
                             "url": self.own_url},
            "logging": {"level": "info", "format": "json"},
        }
        (self.root / "broadcastd.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")

    def launch(self) -> None:
        self.log_path = self.root / "daemon.log"
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.process = subprocess.Popen(
            [sys.executable, "-m", "broadcastd", "run", "--config",
             str(self.root / "broadcastd.yaml")],
            stdout=self.log_path.open("wb"), stderr=subprocess.STDOUT, env=env,
        )

    def healthy(self) -> bool:
        if self.process is None or self.process.poll() is not None:
            raise AssertionError(f"daemon {self.name} exited:\n{self.log()}")
        try:
            return httpx.get(f"{self.base_url}/healthz", timeout=1.0).status_code == 200
        except httpx.HTTPError:
            return False

    def kill(self) -> None:
        """kill -9: no release, no DISCONNECT, no flush."""
        assert self.process is not None
        self.process.kill()
        self.process.wait()
        self.process = None

    def stop(self, timeout: float = 30.0) -> int:
        process, self.process = self.process, None
        if process is None:
            return 0
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError(f"daemon {self.name} did not stop:\n{self.log()}") from None

    def status(self, **params: Any) -> dict[str, Any]:
        response = httpx.get(f"{self.base_url}/status", params=params, timeout=10.0)
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def clusters(self) -> list[tuple[str, dict[str, Any]]]:
        """Every commune's clusters, as (commune, cluster) (one `?commune=` each)."""
        return [(c["commune"], cluster)
                for summed in self.status()["communes"]
                for c in self.status(commune=summed["commune"], limit=1000)["communes"]
                for cluster in c["clusters"]]

    def token(self, name: str, role: str) -> str:
        """An API token made by `broadcastd token create` (in the shared database)."""
        made = subprocess.run(
            [sys.executable, "-m", "broadcastd", "token", "create", "--config",
             str(self.root / "broadcastd.yaml"), "--name", name, "--role", role],
            capture_output=True, text=True, timeout=60, check=False,
        )
        assert made.returncode == 0, made.stderr
        return made.stdout.strip()

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")[-8000:] if self.log_path else ""


@dataclass
class Province:
    daemons: list[DaemonProcess] = field(default_factory=list)

    def start(self, timeout: float = 60.0) -> None:
        """Every daemon at once, as systemd on several servers would; until all answer."""
        for daemon in self.daemons:
            daemon.launch()
        deadline = time.monotonic() + timeout
        waiting = list(self.daemons)
        while waiting and time.monotonic() < deadline:
            waiting = [d for d in waiting if not d.healthy()]
            time.sleep(0.2)
        if waiting:
            raise AssertionError(f"not healthy: {[d.name for d in waiting]}\n" + self.logs())

    def stop(self) -> None:
        for daemon in self.daemons:
            if daemon.process is not None:
                daemon.stop()

    def logs(self) -> str:
        return "\n".join(f"--- {d.name}\n{d.log()}" for d in self.daemons)


def eventually(check: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    """Whether `check` comes true within `timeout_s` (polled)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()


def owners_in_database(url: str) -> dict[str, str]:
    """Commune -> daemon of every live lease, by the database's clock."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT commune, daemon FROM commune_leases WHERE expires_at > now()"
            ))
            return {str(r.commune): str(r.daemon) for r in rows}
    finally:
        engine.dispose()


AckKey = tuple[str, str, str, int, str]


def stored_ack_keys(url: str) -> list[AckKey]:
    """(broadcast_id, cluster, state, item, detail) of every row of ack_events."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT broadcast_id, cluster, state, item, detail FROM ack_events"
            ))
            return [(str(r[0]), str(r[1]), str(r[2]), int(r[3]), str(r[4])) for r in rows]
    finally:
        engine.dispose()


def last_states(url: str) -> dict[tuple[str, str], str | None]:
    """(commune, cluster) -> the last state stored for its broadcast."""
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(text(
                "SELECT b.commune, d.cluster, d.last_state FROM deliveries d "
                "JOIN broadcasts b ON b.id = d.broadcast_id"
            ))
            return {(str(r[0]), str(r[1])): r[2] for r in rows}
    finally:
        engine.dispose()


def ack_key(broadcast: str, cluster: str, state: str, item: int | None,
            detail: str | None) -> AckKey:
    return (broadcast, cluster, state, NO_ITEM if item is None else item, detail or "")
