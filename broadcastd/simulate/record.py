"""What a simulated fleet saw and did, kept for tests and benchmarks.

The fleet's loop thread writes, test threads read: every access goes through one
condition variable, so `wait_for()` wakes up as soon as something is recorded.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TypeVar

from broadcastd.contract import Ack, PlayCommand, StopCommand
from broadcastd.contract.topics import client_id

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ReceivedCommand:
    """One `cmd` message as it arrived; `command` is None when it did not parse."""

    received_at: datetime
    topic: str
    payload: bytes
    command: PlayCommand | StopCommand | None
    error: str = ""


@dataclass(frozen=True, slots=True)
class SentAck:
    """One ack handed to the broker (QoS 1), with the wall time of the publish."""

    sent_at: datetime
    ack: Ack


@dataclass(slots=True)
class ClusterRecord:
    """Everything one simulated cluster received and sent."""

    commune: str
    cluster: str
    silent: bool = False
    online: bool = False
    connects: int = 0
    commands: list[ReceivedCommand] = field(default_factory=list)
    acks: list[SentAck] = field(default_factory=list)
    starts: dict[str, int] = field(default_factory=dict)

    @property
    def client_id(self) -> str:
        return client_id(self.commune, self.cluster)

    def plays(self, broadcast_id: str | None = None) -> list[PlayCommand]:
        """The play commands received, optionally only those of one broadcast."""
        return [
            c.command
            for c in self.commands
            if isinstance(c.command, PlayCommand)
            and (broadcast_id is None or c.command.broadcast_id == broadcast_id)
        ]

    def acks_for(self, broadcast_id: str) -> list[Ack]:
        return [s.ack for s in self.acks if s.ack.broadcast_id == broadcast_id]

    def states(self, broadcast_id: str) -> list[str]:
        """The ack states sent for one broadcast, in order."""
        return [a.state for a in self.acks_for(broadcast_id)]

    def has_ack(self, broadcast_id: str, state: str) -> bool:
        return state in self.states(broadcast_id)


class FleetView(Mapping[str, ClusterRecord]):
    """Read-only access to the live records, keyed by client id (`commune.cluster`).

    A bare cluster name works too when only one commune has it. Only valid inside a
    `wait_for` predicate or `FleetRecord.read`: copy what you keep.
    """

    def __init__(self, records: dict[str, ClusterRecord], totals: dict[str, int]) -> None:
        self._records = records
        self.totals = totals
        """Fleet-wide counters, cheap to read for thousands of clusters: `online`,
        `commands`, `acks` and `ack:<state>`."""

    def __getitem__(self, name: str) -> ClusterRecord:
        found = self._records.get(name)
        if found is not None:
            return found
        matches = [r for r in self._records.values() if r.cluster == name]
        if len(matches) != 1:
            raise KeyError(f"no single simulated cluster named {name!r}")
        return matches[0]

    def __iter__(self) -> Iterator[str]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)


class FleetRecord:
    """The thread-safe record of a whole fleet."""

    def __init__(self, records: list[ClusterRecord]) -> None:
        self._records = {r.client_id: r for r in records}
        self._totals: dict[str, int] = {"online": 0, "commands": 0, "acks": 0}
        self._view = FleetView(self._records, self._totals)
        self._changed = threading.Condition()

    def update(self, key: str, change: Callable[[ClusterRecord], None]) -> None:
        """Apply `change` to one cluster's record and wake the waiters."""
        with self._changed:
            change(self._records[key])
            self._changed.notify_all()

    def set_online(self, key: str, online: bool) -> None:
        with self._changed:
            record = self._records[key]
            if record.online != online:
                self._totals["online"] += 1 if online else -1
            record.online = online
            if online:
                record.connects += 1
            self._changed.notify_all()

    def add_command(self, key: str, command: ReceivedCommand) -> None:
        with self._changed:
            self._records[key].commands.append(command)
            self._totals["commands"] += 1
            self._changed.notify_all()

    def add_acks(self, key: str, acks: list[SentAck], starts: dict[str, int]) -> None:
        with self._changed:
            record = self._records[key]
            record.acks.extend(acks)
            record.starts = dict(starts)
            self._totals["acks"] += len(acks)
            for sent in acks:
                name = f"ack:{sent.ack.state}"
                self._totals[name] = self._totals.get(name, 0) + 1
            self._changed.notify_all()

    def read(self, query: Callable[[FleetView], T]) -> T:
        with self._changed:
            return query(self._view)

    def snapshot(self, name: str) -> ClusterRecord:
        """A private copy of one cluster's record (by client id or bare cluster name)."""
        return self.read(lambda view: copy.deepcopy(view[name]))

    def wait_for(self, predicate: Callable[[FleetView], bool], timeout: float) -> bool:
        """Block until `predicate` holds (True) or `timeout` seconds pass (False)."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate(self._view):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(remaining)
            return True
