"""One simulated loudspeaker cluster: the cluster side of the speaker contract (revision 1.1)
as a state machine.

Pure: no I/O, no threads, no clock of its own. The caller hands in each command and the
current instant and publishes the acks it gets back; `next_deadline()` says when to call
`tick()` again (every start, item boundary, preemption, resume and end), so a fleet of
thousands needs no polling. Fetching files and opening streams is the caller's job too: a
play waits in `fetching` until `on_files()` (and, with `open_streams`, `on_stream()` for
each of its streams) reports the outcome.

Rule 3 is applied moment by moment: the cluster holds every broadcast it was sent, and at
each instant the held broadcast of highest priority whose time contains now has the
speaker (ties: the later start, then the one received last), at the position `now - start`.
Playback can be compressed by `speed`: content time `t` plays at wall time
`start + t/speed`, and nothing plays after the window's `end` whatever the speed.
"""

from __future__ import annotations

import bisect
import itertools
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum

from broadcastd.contract import Ack, PlayCommand, PlayItem, StopCommand


class Phase(StrEnum):
    """Where one broadcast stands on this cluster."""

    FETCHING = "fetching"  # `received` acked; files being fetched, streams being tried
    READY = "ready"  # `ready` acked; held, waiting for its start or for the speaker
    PLAYING = "playing"  # has the speaker
    SUSPENDED = "suspended"  # lost the speaker to another held broadcast, may get it back
    DONE = "done"  # a final ack (`finished`, `stopped`, `failed`) was sent


HELD = frozenset({Phase.READY, Phase.PLAYING, Phase.SUSPENDED})


@dataclass(slots=True)
class _Broadcast:
    """One broadcast this cluster knows, with its timeline by the clock."""

    play: PlayCommand
    seq: int  # order of first receipt: the last tie-break of rule 3
    phase: Phase
    last: Ack
    item_starts: tuple[datetime, ...]  # wall time at which each item begins
    over_at: datetime  # the window's end, or the end of its items if sooner
    files_ok: bool = False
    played: bool = False  # has had the speaker at least once
    item: int = -1  # the item on air (or last on air)
    audio: str = ""  # what is audible of that item: "", "fallback" or "unavailable"

    @property
    def active(self) -> bool:
        return self.phase is not Phase.DONE

    @property
    def bid(self) -> str:
        return self.play.broadcast_id


@dataclass(slots=True)
class Cluster:
    """The behaviour of one cluster.

    `fetch_files`: whether a play waits for `on_files()` before `ready` (the fleet turns
    this off when it does not fetch). `open_streams`: whether it also waits for
    `on_stream()` outcomes of its stream URLs (off: every stream opens). `speed`:
    playback compression.
    """

    speed: float = 1.0
    fetch_files: bool = True
    open_streams: bool = False
    starts: dict[str, int] = field(default_factory=dict)
    _known: dict[str, _Broadcast] = field(default_factory=dict)
    _held_files: set[str] = field(default_factory=set)  # sha256 fetched and verified
    _streams: dict[str, bool] = field(default_factory=dict)  # url -> opened at last try
    _seq: Iterator[int] = field(default_factory=itertools.count)
    _now: datetime | None = None  # the last instant evaluated

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
            return acks  # stopped or expired meanwhile: nothing to say
        if failure is not None:
            return acks + [self._end(entry, "failed", now, detail=failure)]
        self._held_files.update(item.sha256 for item in _file_items(entry.play) if item.sha256)
        entry.files_ok = True
        return acks + self._make_ready(entry, now)

    def on_stream(self, url: str, opened: bool, now: datetime) -> list[Ack]:
        """An attempt to open a stream URL ended (rule 4): plays waiting for it may get
        ready, and the item on air, if it is that stream, says what is audible now."""
        acks = self.tick(now)
        self._streams[url] = opened
        for entry in self._in_order(Phase.FETCHING):
            acks += self._make_ready(entry, now)
        holder = self._on_air()
        if holder is not None and holder.play.items[holder.item].url == url:
            audio = self._audio(holder.play.items[holder.item])
            if audio != holder.audio:
                acks.append(self._playing(holder, now, audio))
        return acks

    def files_to_fetch(self, broadcast_id: str) -> tuple[PlayItem, ...]:
        """The file items (fallbacks included) a play in `fetching` still needs, one per
        sha256 and none already held (rule 5: a resend's other URL is no reason to refetch)."""
        entry = self._known.get(broadcast_id)
        if entry is None or entry.phase is not Phase.FETCHING or entry.files_ok:
            return ()
        wanted: dict[str, PlayItem] = {}
        for item in _file_items(entry.play):
            if item.sha256 is not None and item.sha256 not in self._held_files:
                wanted.setdefault(item.sha256, item)
        return tuple(wanted.values())

    def streams_to_open(self, broadcast_id: str) -> tuple[str, ...]:
        """The stream URLs a play in `fetching` waits for (with `open_streams`)."""
        entry = self._known.get(broadcast_id)
        if not self.open_streams or entry is None or entry.phase is not Phase.FETCHING:
            return ()
        return tuple(dict.fromkeys(u for u in _stream_urls(entry.play) if u not in self._streams))

    def streams_down(self) -> tuple[str, ...]:
        """The stream on air that could not be opened: to be tried again while it lasts."""
        holder = self._on_air()
        if holder is None or not holder.audio:
            return ()
        return (holder.play.items[holder.item].url,)

    # -- clock ----------------------------------------------------------------------------

    def tick(self, now: datetime) -> list[Ack]:
        """Acks for everything that happened by `now`, edge by edge in time order, so a
        late tick still plays each item, preemption and resume at its own instant."""
        acks: list[Ack] = []
        while (edge := self.next_deadline()) is not None and edge <= now:
            acks += self._at(edge, now)
            self._now = edge
        if self._now is None or now > self._now:
            self._now = now
        return acks + self._at(self._now, now)

    def next_deadline(self) -> datetime | None:
        """The earliest instant after the last one evaluated at which something may change:
        a start, an item boundary on air, the end of a broadcast's time or of a fetch."""
        after = self._now
        return min((m for m in self._edges() if after is None or m > after), default=None)

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
        entry = self._timeline(play, now)
        self._known[play.broadcast_id] = entry
        entry.files_ok = not self.fetch_files or not self.files_to_fetch(play.broadcast_id)
        return [entry.last] + self._make_ready(entry, now)

    def _on_stop(self, stop: StopCommand, now: datetime) -> list[Ack]:
        entry = self._known.get(stop.broadcast_id)
        if entry is None or not entry.active:
            return [Ack(stop.broadcast_id, "stopped", now)]  # unknown or already over
        # The speaker goes to the next held broadcast in its window (rule 3).
        return [self._end(entry, "stopped", now)] + self._at(self._evaluated(now), now)

    def _refuse(self, play: PlayCommand, now: datetime, detail: str) -> Ack:
        entry = self._timeline(play, now)
        entry.phase = Phase.DONE
        entry.last = Ack(play.broadcast_id, "failed", now, detail=detail)
        self._known[play.broadcast_id] = entry
        return entry.last

    def _timeline(self, play: PlayCommand, now: datetime) -> _Broadcast:
        ends = list(itertools.accumulate(item.duration_s for item in play.items))
        begins = [0.0] + ends[:-1]
        content_end = play.start + self._wall(ends[-1] if ends else 0.0)
        return _Broadcast(
            play=play, seq=next(self._seq), phase=Phase.FETCHING,
            last=Ack(play.broadcast_id, "received", now),
            item_starts=tuple(play.start + self._wall(s) for s in begins[: len(play.items)]),
            over_at=min(play.end, content_end),
        )

    def _make_ready(self, entry: _Broadcast, now: datetime) -> list[Ack]:
        """`ready` once its files are held and its streams tried; then it may take the
        speaker at once (received in its window: joins in progress)."""
        if entry.phase is not Phase.FETCHING or not entry.files_ok:
            return []
        if self.open_streams and any(u not in self._streams for u in _stream_urls(entry.play)):
            return []
        if self._evaluated(now) >= entry.over_at and entry.play.items:
            # Its items' time is over by the clock: nothing left to hear (rule 2).
            return [self._end(entry, "failed", now, detail="expired")]
        entry.phase = Phase.READY
        entry.last = Ack(entry.bid, "ready", now)
        return [entry.last] + self._at(self._evaluated(now), now)

    def _at(self, t: datetime, now: datetime) -> list[Ack]:
        """Rule 3 at instant `t`; acks stamped `now` (the cluster's clock when it tells)."""
        acks: list[Ack] = []
        for entry in self._in_order(Phase.FETCHING):
            if t >= entry.play.end:
                acks.append(self._end(entry, "failed", now, detail="expired"))
        for entry in self._in_order(*HELD):
            if t >= entry.over_at:  # its time is over: it played to the end, or lost it
                if entry.phase is Phase.PLAYING or not entry.play.items:
                    acks.append(self._end(entry, "finished", now))
                else:
                    acks.append(self._end(entry, "stopped", now, detail="preempted"))
        holder, current = self._holder(t), self._on_air()
        if holder is not current:
            if current is not None:
                assert holder is not None  # `current` is still in its time, so one is held
                current.phase = Phase.SUSPENDED
                current.last = Ack(current.bid, "suspended", now, item=current.item,
                                   detail=holder.bid)
                acks.append(current.last)
            if holder is not None:
                acks += self._take(holder, t, now)
        elif holder is not None:
            acks += self._next_items(holder, t, now)
        return acks

    def _holder(self, t: datetime) -> _Broadcast | None:
        """The held broadcast that has the speaker at `t`, by rule 3."""
        candidates = [e for e in self._known.values()
                      if e.phase in HELD and e.play.start <= t < e.over_at]
        return max(candidates, key=lambda e: (e.play.priority, e.play.start, e.seq),
                   default=None)

    def _take(self, entry: _Broadcast, t: datetime, now: datetime) -> list[Ack]:
        """`entry` gets the speaker at `t`, at the item `t - start` falls in."""
        entry.phase = Phase.PLAYING
        entry.item = bisect.bisect_right(entry.item_starts, t) - 1
        audio = self._audio(entry.play.items[entry.item])
        if not entry.played:
            entry.played = True
            self.starts[entry.bid] = self.starts.get(entry.bid, 0) + 1
            return [self._playing(entry, now, audio)]
        acks = [self._playing(entry, now, "resumed")]
        entry.audio = audio
        if audio:  # what is audible, after saying it resumed
            acks.append(self._playing(entry, now, audio))
        return acks

    def _next_items(self, entry: _Broadcast, t: datetime, now: datetime) -> list[Ack]:
        acks: list[Ack] = []
        while entry.item + 1 < len(entry.item_starts) and entry.item_starts[entry.item + 1] <= t:
            entry.item += 1
            acks.append(self._playing(entry, now, self._audio(entry.play.items[entry.item])))
        return acks

    def _playing(self, entry: _Broadcast, now: datetime, detail: str) -> Ack:
        if detail != "resumed":
            entry.audio = detail
        entry.last = Ack(entry.bid, "playing", now, item=entry.item, detail=detail)
        return entry.last

    def _audio(self, item: PlayItem) -> str:
        """Rule 4: a stream that could not be opened plays its fallback, or nothing."""
        if item.kind != "stream" or self._streams.get(item.url, True):
            return ""
        return "fallback" if item.fallback is not None else "unavailable"

    def _edges(self) -> Iterator[datetime]:
        for entry in self._known.values():
            if entry.phase is Phase.FETCHING:
                yield entry.play.end
            elif entry.active:
                yield entry.play.start
                yield entry.over_at
            if entry.phase is Phase.PLAYING and entry.item + 1 < len(entry.item_starts):
                yield entry.item_starts[entry.item + 1]

    def _evaluated(self, now: datetime) -> datetime:
        """The instant rule 3 is applied at: `now`, never before one already evaluated."""
        return now if self._now is None or now > self._now else self._now

    def _wall(self, content_s: float) -> timedelta:
        return timedelta(seconds=content_s / self.speed)

    def _end(self, entry: _Broadcast, state: str, now: datetime, detail: str = "") -> Ack:
        entry.phase = Phase.DONE
        entry.last = Ack(entry.bid, state, now, detail=detail)
        return entry.last

    def _on_air(self) -> _Broadcast | None:
        return next((e for e in self._known.values() if e.phase is Phase.PLAYING), None)

    def _in_order(self, *phases: Phase) -> list[_Broadcast]:
        return sorted((e for e in self._known.values() if e.phase in phases),
                      key=lambda e: (e.play.start, e.seq))


def _file_items(play: PlayCommand) -> tuple[PlayItem, ...]:
    """Every file a play needs ahead: its file items and its streams' fallbacks."""
    files: list[PlayItem] = []
    for item in play.items:
        if item.kind == "file":
            files.append(item)
        elif item.fallback is not None:
            files.append(item.fallback)
    return tuple(files)


def _stream_urls(play: PlayCommand) -> tuple[str, ...]:
    return tuple(item.url for item in play.items if item.kind == "stream")
