"""One simulated loudspeaker cluster: the cluster side of the speaker contract as a state machine.

Pure: no I/O, no threads, no clock of its own. The caller hands in each command and the
current instant and publishes the acks it gets back; `next_deadline()` says when to call
`tick()` again, so a fleet of thousands needs no polling. File fetching is the caller's
job too: a play with `file` items waits in `fetching` until `on_files()` reports the outcome.

Playback can be compressed by `speed`: content time `t` plays at wall time `start + t/speed`,
and nothing plays after the window's `end` whatever the speed.
"""

from __future__ import annotations

import bisect
import itertools
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from broadcastd.contract import Ack, PlayCommand, PlayItem, StopCommand


class Phase(StrEnum):
    """Where one accepted broadcast stands on this cluster."""

    FETCHING = "fetching"  # `received` acked, files still being fetched and verified
    READY = "ready"  # `ready` acked, waiting for `start`
    PLAYING = "playing"
    DONE = "done"  # a terminal ack (`finished`, `stopped`, `failed`) was sent


@dataclass(slots=True)
class _Broadcast:
    """One broadcast this cluster knows, with its compressed timeline."""

    play: PlayCommand
    phase: Phase
    last: Ack
    item_starts: tuple[datetime, ...] = ()
    stop_at: datetime | None = None
    next_item: int = 0
    ready_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.phase is not Phase.DONE


@dataclass(slots=True)
class Cluster:
    """The behaviour of one cluster.

    `fetch_files`: whether a play with `file` items waits for `on_files()` before `ready`
    (the fleet turns this off when it does not fetch). `speed`: playback compression.
    """

    speed: float = 1.0
    fetch_files: bool = True
    starts: dict[str, int] = field(default_factory=dict)
    _known: dict[str, _Broadcast] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.speed <= 0:
            raise ValueError(f"speed must be positive, got {self.speed}")

    # -- commands -------------------------------------------------------------------------

    def on_command(self, cmd: PlayCommand | StopCommand, now: datetime) -> list[Ack]:
        """Acks for a command received at `now` (after catching up with the clock)."""
        acks = self.tick(now)
        if isinstance(cmd, StopCommand):
            return acks + self._on_stop(cmd, now)
        return acks + self._on_play(cmd, now)

    def on_files(self, broadcast_id: str, failure: str | None, now: datetime) -> list[Ack]:
        """The fetch of a broadcast's files ended: `failure` is None, `checksum` or `fetch`."""
        acks = self.tick(now)
        entry = self._known.get(broadcast_id)
        if entry is None or entry.phase is not Phase.FETCHING:
            return acks  # stopped, preempted or expired meanwhile: nothing to say
        if failure is not None:
            return acks + [self._end(entry, "failed", now, detail=failure)]
        return acks + self._make_ready(entry, now)

    def files_to_fetch(self, broadcast_id: str) -> tuple[PlayItem, ...]:
        """The `file` items a broadcast in `fetching` waits for (empty otherwise)."""
        entry = self._known.get(broadcast_id)
        if entry is None or entry.phase is not Phase.FETCHING:
            return ()
        return _file_items(entry.play)

    # -- clock ----------------------------------------------------------------------------

    def tick(self, now: datetime) -> list[Ack]:
        """Acks for everything that happened by `now`: starts, item boundaries, ends."""
        acks: list[Ack] = []
        for entry in sorted(self._active(), key=lambda e: e.play.start):
            acks.extend(self._advance(entry, now))
        return acks

    def next_deadline(self) -> datetime | None:
        """The earliest instant at which `tick()` has something to say, if any."""
        moments = [m for m in (_deadline(e) for e in self._active()) if m is not None]
        return min(moments, default=None)

    # -- queries --------------------------------------------------------------------------

    def phase(self, broadcast_id: str) -> Phase | None:
        entry = self._known.get(broadcast_id)
        return None if entry is None else entry.phase

    def last_ack(self, broadcast_id: str) -> Ack | None:
        entry = self._known.get(broadcast_id)
        return None if entry is None else entry.last

    # -- rules ----------------------------------------------------------------------------

    def _on_play(self, play: PlayCommand, now: datetime) -> list[Ack]:
        known = self._known.get(play.broadcast_id)
        if known is not None:  # rule 1: one broadcast however often it comes
            known.last = replace(known.last, at=now)
            return [known.last]
        if play.end <= play.start:
            return [self._refuse(play, now, "invalid")]
        if now >= play.end:  # rule 2: too late
            return [self._refuse(play, now, "expired")]
        rivals = [e for e in self._active() if _overlaps(e.play, play)]
        if any(e.play.priority > play.priority for e in rivals):  # rule 3
            return [self._refuse(play, now, "busy")]
        acks = [self._end(e, "stopped", now, detail="preempted") for e in rivals]
        entry = _Broadcast(play, Phase.FETCHING, Ack(play.broadcast_id, "received", now))
        self._known[play.broadcast_id] = entry
        acks.append(entry.last)
        if self.fetch_files and _file_items(play):
            return acks
        return acks + self._make_ready(entry, now)

    def _on_stop(self, stop: StopCommand, now: datetime) -> list[Ack]:
        entry = self._known.get(stop.broadcast_id)
        if entry is not None and entry.active:
            return [self._end(entry, "stopped", now)]
        return [Ack(stop.broadcast_id, "stopped", now)]  # unknown or already over

    def _refuse(self, play: PlayCommand, now: datetime, detail: str) -> Ack:
        entry = _Broadcast(play, Phase.DONE, Ack(play.broadcast_id, "failed", now, detail=detail))
        self._known[play.broadcast_id] = entry
        return entry.last

    def _make_ready(self, entry: _Broadcast, now: datetime) -> list[Ack]:
        entry.phase = Phase.READY
        entry.ready_at = now
        entry.last = Ack(entry.play.broadcast_id, "ready", now)
        return [entry.last] + self._advance(entry, now)

    def _advance(self, entry: _Broadcast, now: datetime) -> list[Ack]:
        play = entry.play
        if entry.phase is Phase.FETCHING and now >= play.end:
            return [self._end(entry, "failed", now, detail="expired")]
        if entry.phase is Phase.READY and now >= play.start:
            assert entry.ready_at is not None
            self._begin(entry, max(play.start, entry.ready_at))
        if entry.phase is not Phase.PLAYING:
            return []
        acks: list[Ack] = []
        assert entry.stop_at is not None
        while (
            entry.next_item < len(entry.item_starts)
            and entry.item_starts[entry.next_item] <= now
            and entry.item_starts[entry.next_item] < entry.stop_at
        ):
            entry.last = Ack(play.broadcast_id, "playing", now, item=entry.next_item)
            acks.append(entry.last)
            entry.next_item += 1
        if now >= entry.stop_at:
            acks.append(self._end(entry, "finished", now))
        return acks

    def _begin(self, entry: _Broadcast, joined: datetime) -> None:
        """Start playback: from item 0 at `start`, or join in progress at `joined - start`
        (the instant it was ready in the window), even when the tick comes later."""
        play = entry.play
        ends = list(itertools.accumulate(item.duration_s for item in play.items))
        begins = [0.0] + ends[:-1]
        entry.item_starts = tuple(play.start + self._wall(s) for s in begins)
        content_end = play.start + self._wall(ends[-1] if ends else 0.0)
        entry.stop_at = min(play.end, content_end)
        offset = (joined - play.start).total_seconds() * self.speed
        entry.next_item = 0 if offset <= 0 else bisect.bisect_right(ends, offset)
        entry.phase = Phase.PLAYING
        self.starts[play.broadcast_id] = self.starts.get(play.broadcast_id, 0) + 1

    def _wall(self, content_s: float) -> timedelta:
        return timedelta(seconds=content_s / self.speed)

    def _end(self, entry: _Broadcast, state: str, now: datetime, detail: str = "") -> Ack:
        entry.phase = Phase.DONE
        entry.last = Ack(entry.play.broadcast_id, state, now, detail=detail)
        return entry.last

    def _active(self) -> list[_Broadcast]:
        return [e for e in self._known.values() if e.active]


def _file_items(play: PlayCommand) -> tuple[PlayItem, ...]:
    return tuple(item for item in play.items if item.kind == "file")


def _overlaps(a: PlayCommand, b: PlayCommand) -> bool:
    return a.start < b.end and b.start < a.end


def _deadline(entry: _Broadcast) -> datetime | None:
    if entry.phase is Phase.FETCHING:
        return entry.play.end
    if entry.phase is Phase.READY:
        return entry.play.start
    if entry.phase is Phase.PLAYING and entry.stop_at is not None:
        if entry.next_item < len(entry.item_starts):
            return min(entry.item_starts[entry.next_item], entry.stop_at)
        return entry.stop_at
    return None
