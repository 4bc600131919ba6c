"""A dispatcher on a real broker and a real SQLite file, with a clock the test moves."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from broadcastd.contract import PlayCommand, StopCommand, parse_command
from broadcastd.contract.messages import PlayItem
from broadcastd.delivery.dispatcher import Dispatcher
from broadcastd.delivery.link import MqttLink
from broadcastd.delivery.policy import ResendPolicy
from broadcastd.planning import Occurrence, plan
from broadcastd.settings import BrokerSettings
from broadcastd.store import Store, open_store
from broadcastd.timetable.model import Timetable

# 05:30 in Hanoi, the morning slot's start.
MORNING = datetime(2026, 11, 28, 22, 30, tzinfo=UTC)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@dataclass
class Clusters:
    """What the clusters' `cmd` topics carried, seen by a plain subscriber."""

    commands: dict[str, list[PlayCommand | StopCommand]] = field(default_factory=dict)
    changed: threading.Condition = field(default_factory=threading.Condition)

    def add(self, cluster: str, command: PlayCommand | StopCommand) -> None:
        with self.changed:
            self.commands.setdefault(cluster, []).append(command)
            self.changed.notify_all()

    def wait_total(self, count: int, timeout: float = 5.0) -> dict[str, list[PlayCommand | StopCommand]]:
        with self.changed:
            self.changed.wait_for(
                lambda: sum(len(c) for c in self.commands.values()) >= count, timeout
            )
            return {name: list(items) for name, items in self.commands.items()}

    def total(self) -> int:
        with self.changed:
            return sum(len(c) for c in self.commands.values())


def timetable(commune: str) -> Timetable:
    return Timetable.model_validate(
        {
            "commune": {"id": commune, "name": "Xã Mạn Lạn"},
            "areas": [
                {"id": "khu-1", "name": "Khu 1", "clusters": ["loa-01", "loa-02"]},
                {"id": "khu-2", "name": "Khu 2", "clusters": ["loa-03"]},
            ],
            "slots": [
                {"id": "morning", "start": "05:30", "end": "06:00",
                 "playlist": [{"stream": "http://relay.example/live", "duration_s": 600}]}
            ],
        }
    )


@dataclass
class Bench:
    dispatcher: Dispatcher
    store: Store
    clock: Clock
    clusters: Clusters
    occurrence: Occurrence
    link: MqttLink
    db_url: str
    prefix: str

    def settle(self, timeout: float = 5.0) -> None:
        """Wait until everything recorded so far is committed."""
        assert self.store.flush(timeout)


@pytest.fixture
def clock() -> Clock:
    return Clock(MORNING - timedelta(seconds=120))


@pytest.fixture
def bench(
    tmp_path: Path, clock: Clock, mosquitto: tuple[str, int], topic_prefix: str
) -> Iterator[Bench]:
    commune = f"xa-{uuid.uuid4().hex[:6]}"
    clusters = Clusters()
    watcher = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"watch-{topic_prefix}")

    def received(client: mqtt.Client, userdata: object, message: mqtt.MQTTMessage) -> None:
        clusters.add(message.topic.split("/")[2], parse_command(message.payload))

    watcher.on_message = received
    watcher.connect("127.0.0.1", 1883)
    watcher.subscribe(f"{topic_prefix}/+/+/cmd", qos=1)
    watcher.loop_start()

    db_url = f"sqlite:///{tmp_path / 'broadcastd.db'}"
    store = open_store(db_url)
    store.start()
    dispatchers: list[Dispatcher] = []
    link = MqttLink(
        BrokerSettings(topic_prefix=topic_prefix, client_id=f"d-{topic_prefix}"),
        on_message=lambda message: None,
        on_published=lambda mid: dispatchers[0].note_published(mid),  # as the daemon wires it
    )
    link.start()
    assert link.wait_connected(5)
    (occurrence,) = plan([timetable(commune)], MORNING, MORNING + timedelta(seconds=1))
    dispatcher = Dispatcher(
        link,
        store,
        lambda occ: (PlayItem("stream", "http://relay.example/live", 600.0),),
        prefix=topic_prefix,
        lead_time_s=120,
        resend=ResendPolicy(first_after_s=10, factor=2, max_delay_s=40),
        clock=clock,
    )
    dispatchers.append(dispatcher)
    yield Bench(dispatcher, store, clock, clusters, occurrence, link, db_url, topic_prefix)
    link.stop()
    store.stop()
    watcher.loop_stop()
    watcher.disconnect()
