"""A commune server as the integration tests set it up: files on disk and the daemon
running in a subprocess, exactly as `broadcastd run` runs it."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import yaml

from broadcastd.planning.occurrences import broadcast_id

COMMUNE = "man-lan"


def unique_commune() -> str:
    """A commune id of the test's own: clusters' client ids are `<commune>.<cluster>`,
    and two fleets with the same ids on one broker knock each other off."""
    return f"{COMMUNE}-{uuid.uuid4().hex[:6]}"
AREAS = 15
CLUSTERS = 22


def cluster_names() -> list[str]:
    return [f"loa-{number:02d}" for number in range(1, CLUSTERS + 1)]


def areas() -> list[dict[str, Any]]:
    """15 areas, 22 clusters: the first seven areas have two clusters each."""
    names = cluster_names()
    result, position = [], 0
    for number in range(1, AREAS + 1):
        size = 2 if number <= CLUSTERS - AREAS else 1
        result.append(
            {
                "id": f"khu-{number}",
                "name": f"Khu {number}",
                "clusters": names[position : position + size],
            }
        )
        position += size
    return result


@dataclass(frozen=True)
class Slot:
    """A slot placed a few seconds ahead of now, in the commune's zone."""

    commune: str
    zone: ZoneInfo
    start: datetime
    end: datetime

    @classmethod
    def ahead(cls, commune: str, seconds: float, length_s: float) -> Slot:
        zone = ZoneInfo("Asia/Ho_Chi_Minh")
        start = (datetime.now(UTC) + timedelta(seconds=seconds)).astimezone(zone)
        start = start.replace(microsecond=0) + timedelta(seconds=1)
        end = start + timedelta(seconds=length_s)
        if end.date() != start.date():  # a slot may not cross local midnight
            zone = ZoneInfo("UTC")
            start, end = start.astimezone(zone), end.astimezone(zone)
        return cls(commune, zone, start, end)

    @property
    def broadcast_id(self) -> str:
        return broadcast_id(self.commune, "morning", self.start.date())


def timetable(slot: Slot, playlist: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "commune": {"id": slot.commune, "name": "Xã Mạn Lạn", "timezone": str(slot.zone)},
        "areas": areas(),
        "slots": [
            {
                "id": "morning",
                "title": "Bản tin sáng",
                "start": slot.start.strftime("%H:%M:%S"),
                "end": slot.end.strftime("%H:%M:%S"),
                "volume": 70,
                "priority": 0,
                "playlist": playlist,
            }
        ],
    }


LIMIT_FILES_THEN_EXEC = (
    "import os, resource, sys; n = int(sys.argv[1]); "
    "resource.setrlimit(resource.RLIMIT_NOFILE, (n, n)); "
    "os.execv(sys.executable, [sys.executable, *sys.argv[2:]])"
)


@dataclass
class Site:
    root: Path
    library: Path
    prefix: str
    http_port: int
    commune: str = field(default_factory=unique_commune)
    lead_time_s: float = 2.0
    resend_after_s: float = 2.0
    broker_port: int = 1883  # the shared Mosquitto, unless the test runs its own
    extra_settings: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Keys merged into the config's sections, e.g. {"http": {"header_timeout_s": 2}}."""
    database_url: str | None = None
    """A PostgreSQL URL to store in; None: the SQLite file `database` in the site's folder."""
    max_files: int | None = None
    """RLIMIT_NOFILE for the daemon, as systemd's LimitNOFILE= sets it."""
    process: subprocess.Popen[bytes] | None = None
    runs: int = 0
    logs: list[Path] = field(default_factory=list)

    @property
    def config(self) -> Path:
        return self.root / "broadcastd.yaml"

    @property
    def database(self) -> Path:
        return self.root / "broadcastd.db"

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    def write(self, timetable_data: dict[str, Any]) -> None:
        schedules = self.root / "schedules"
        schedules.mkdir(parents=True, exist_ok=True)
        (schedules / f"{self.commune}.yaml").write_text(
            yaml.safe_dump(timetable_data, allow_unicode=True, sort_keys=False),
            encoding="utf-8",
        )
        config = {
            "broker": {
                "url": f"mqtt://127.0.0.1:{self.broker_port}",
                "client_id": f"broadcastd-{self.prefix}",
                "topic_prefix": self.prefix,
            },
            "database": {"url": self.database_url or f"sqlite:///{self.database}"},
            "http": {
                "listen": f"127.0.0.1:{self.http_port}",
                "public_base_url": self.base_url,
                # Loopback, like the demo: tests read freely; changes need a token.
                "anonymous_read": True,
            },
            "paths": {"schedules": str(schedules), "audio_library": str(self.library)},
            "delivery": {
                "lead_time_s": self.lead_time_s,
                "resend": {"first_after_s": self.resend_after_s, "factor": 2, "max_delay_s": 10},
            },
            "logging": {"level": "info", "format": "json"},
        }
        for section, values in self.extra_settings.items():
            config[section] = {**config.get(section, {}), **values}
        self.config.write_text(yaml.safe_dump(config), encoding="utf-8")

    def start(self, timeout: float = 20.0) -> None:
        """Start `broadcastd run` and wait until /healthz says ok (broker connected)."""
        self.runs += 1
        log = self.root / f"daemon-{self.runs}.log"
        self.logs.append(log)
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        command = [sys.executable, "-m", "broadcastd", "run", "--config", str(self.config)]
        if self.max_files:  # set, then exec the daemon: what systemd's LimitNOFILE= does
            command = [
                sys.executable, "-c", LIMIT_FILES_THEN_EXEC, str(self.max_files), *command[1:],
            ]
        self.process = subprocess.Popen(
            command, stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"daemon exited {self.process.returncode}:\n{self.log()}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1.0).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"daemon not healthy within {timeout} s:\n{self.log()}")

    def stop(self, timeout: float = 20.0) -> int:
        """SIGTERM, as systemd stops it; returns the exit code."""
        process, self.process = self.process, None
        if process is None:
            return 0
        process.send_signal(signal.SIGTERM)
        try:
            return process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            raise AssertionError(f"daemon did not stop within {timeout} s:\n{self.log()}")

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return "\n".join(path.read_text(errors="replace")[-6000:] for path in self.logs)

    def token(self, name: str, role: str) -> str:
        """An API token made by `broadcastd token create`, as an administrator would."""
        made = subprocess.run(
            [sys.executable, "-m", "broadcastd", "token", "create", "--config", str(self.config),
             "--name", name, "--role", role],
            capture_output=True, text=True, timeout=60, check=False,
        )
        assert made.returncode == 0, made.stderr
        return made.stdout.strip()

    def get(self, path: str, **params: Any) -> Any:
        response = httpx.get(f"{self.base_url}{path}", params=params, timeout=5.0)
        response.raise_for_status()
        return response.json()
