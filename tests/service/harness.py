"""The real daemon as systemd runs it, for the service tests: a commune of its own per
test (unique ids, topic prefix and client id), the notify socket read like systemd
reads it, acks and metrics read back the way an operator would."""

from __future__ import annotations

import re
import sqlite3
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from prometheus_client.parser import text_string_to_metric_families

from broadcastd.contract import Ack, topic
from broadcastd.contract.topics import TopicKind
from broadcastd.planning.occurrences import broadcast_id
from broadcastd.simulate.fleet import ClusterId, FleetConfig

from .conftest import NotifySocket

PLAYLIST: list[dict[str, Any]] = [
    {"audio": "nhac-hieu"},
    {"audio": "ban-tin-sang"},
    {"stream": "http://127.0.0.1:9/relay", "duration_s": 60, "title": "Tiếp sóng huyện"},
]


@dataclass(frozen=True)
class Window:
    start: datetime
    end: datetime


TEST_SPAN = timedelta(hours=3)
"""The furthest a test's windows reach (slots moved two hours on, and their length)."""


def _zone_without_midnight() -> ZoneInfo:
    """The communes' own zone, unless its midnight falls within the next `TEST_SPAN`:
    then UTC (7 hours away, so never both). A test's slots are on one local date, and a
    slot moved past midnight would be tomorrow's, with tomorrow's broadcast id."""
    now = datetime.now(UTC)
    for name in ("Asia/Ho_Chi_Minh", "UTC"):
        zone = ZoneInfo(name)
        if (now + TEST_SPAN).astimezone(zone).date() == now.astimezone(zone).date():
            return zone
    raise AssertionError("unreachable: the two zones' midnights are 7 hours apart")


@dataclass(frozen=True)
class Commune:
    """A commune of the test's own: its ids never meet another test's."""

    id: str
    clusters: tuple[str, ...]
    zone: ZoneInfo

    @classmethod
    def unique(cls, clusters: int = 4) -> Commune:
        return cls(
            id=f"xa-{uuid.uuid4().hex[:8]}",
            clusters=tuple(f"loa-{n:02d}" for n in range(1, clusters + 1)),
            zone=_zone_without_midnight(),
        )

    def window(self, ahead_s: float, length_s: float) -> Window:
        """A slot starting `ahead_s` from now (whole seconds), in the commune's zone."""
        start = (datetime.now(UTC) + timedelta(seconds=ahead_s)).astimezone(self.zone)
        start = start.replace(microsecond=0) + timedelta(seconds=1)
        return Window(start, start + timedelta(seconds=length_s))

    def broadcast_id(self, slot: str, window: Window) -> str:
        return broadcast_id(self.id, slot, window.start.date())

    def timetable(
        self, slots: dict[str, Window], playlist: list[dict[str, Any]] | None = None
    ) -> dict[str, Any]:
        """Slots on today's local date; a test never runs across local midnight."""
        return {
            "commune": {"id": self.id, "name": f"Xã {self.id}", "timezone": str(self.zone)},
            "areas": [
                {"id": f"khu-{n}", "name": f"Khu {n}", "clusters": [name]}
                for n, name in enumerate(self.clusters, start=1)
            ],
            "slots": [
                {
                    "id": slot,
                    "title": f"Bản tin {slot}",
                    "start": window.start.strftime("%H:%M:%S"),
                    "end": window.end.strftime("%H:%M:%S"),
                    "volume": 70,
                    "priority": 0,
                    "playlist": playlist or PLAYLIST,
                }
                for slot, window in slots.items()
            ],
        }

    def fleet_config(self, prefix: str, **options: Any) -> FleetConfig:
        return FleetConfig(
            clusters=tuple(ClusterId(self.id, name) for name in self.clusters),
            prefix=prefix,
            **options,
        )

    def topic(self, prefix: str, cluster: str, kind: TopicKind) -> str:
        return topic(prefix, self.id, cluster, kind)


# -- the notify socket ------------------------------------------------------------------


class Notifications:
    """Every datagram the daemon sent to the notify socket, in order."""

    def __init__(self, sock: NotifySocket) -> None:
        self._sock = sock
        self.seen: list[str] = []

    def _read(self, timeout_s: float) -> str | None:
        try:
            message = self._sock.receive(timeout_s)
        except TimeoutError:
            return None
        self.seen.append(message)
        return message

    def wait_for(self, predicate: Callable[[str], bool], timeout_s: float = 10.0) -> str:
        """The first message from now on that matches; fails with what came instead."""
        deadline = time.monotonic() + timeout_s
        start = len(self.seen)
        while (remaining := deadline - time.monotonic()) > 0:
            message = self._read(min(remaining, 0.5))
            if message is not None and predicate(message):
                return message
        raise AssertionError(f"no matching notification; got {self.seen[start:]}")

    def during(self, seconds: float) -> list[str]:
        """Everything sent over the next `seconds`."""
        deadline = time.monotonic() + seconds
        start = len(self.seen)
        while (remaining := deadline - time.monotonic()) > 0:
            self._read(min(remaining, 0.2))
        return self.seen[start:]

    def statuses(self) -> list[str]:
        return [m.removeprefix("STATUS=") for m in self.seen if m.startswith("STATUS=")]


# -- what the operator reads --------------------------------------------------------------


def ack_rows(database: Path) -> int:
    """Acks committed, counted in the database file itself."""
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as conn:
        (count,) = conn.execute("SELECT count(*) FROM ack_events").fetchone()
    return int(count)


def ack_rows_by_state(database: Path) -> dict[str, int]:
    with sqlite3.connect(f"file:{database}?mode=ro", uri=True, timeout=5) as conn:
        rows = conn.execute("SELECT state, count(*) FROM ack_events GROUP BY state").fetchall()
    return {str(state): int(count) for state, count in rows}


Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(base_url: str) -> Samples:
    """`/metrics` through the Prometheus text parser: {(sample name, labels): value}."""
    response = httpx.get(f"{base_url}/metrics", timeout=5)
    response.raise_for_status()
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


# -- a cluster's side, by hand -------------------------------------------------------------


class Publisher:
    """A test MQTT client publishing QoS 1 as a cluster would (anonymous broker)."""

    def __init__(self, port: int = 1883) -> None:
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2, client_id=f"test-pub-{uuid.uuid4().hex[:8]}"
        )
        self.client.max_inflight_messages_set(50)
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def publish(self, topic_name: str, payload: bytes) -> mqtt.MQTTMessageInfo:
        return self.client.publish(topic_name, payload, qos=1)

    def close(self) -> None:
        self.client.loop_stop()
        self.client.disconnect()


def acks(commune: Commune, bid: str, count: int) -> Iterator[tuple[str, Ack]]:
    """`count` distinct acks (cluster, state `playing`, item n), spread over the clusters."""
    at = datetime.now(UTC)
    for n in range(count):
        cluster = commune.clusters[n % len(commune.clusters)]
        yield cluster, Ack(broadcast_id=bid, state="playing", at=at, item=n // len(commune.clusters))


# -- waiting ---------------------------------------------------------------------------------

UNIT = Path(__file__).resolve().parents[2] / "deploy" / "broadcastd.service"


def unit_stop_timeout_s() -> float:
    """The unit's `TimeoutStopSec=`: past it systemd kills the daemon."""
    match = re.search(r"^TimeoutStopSec=(\d+)$", UNIT.read_text(), re.MULTILINE)
    assert match, "the unit sets TimeoutStopSec="
    return float(match.group(1))


def eventually(check: Callable[[], bool], timeout_s: float = 10.0) -> bool:
    """Whether `check` comes true within `timeout_s` (polled)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return check()
