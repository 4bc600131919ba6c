"""A fleet of simulated clusters on a real MQTT broker: the I/O edge around `Cluster`.

Every cluster is its own paho client (client id `<commune>.<cluster>`, retained Last
Will on its `state` topic), as the contract wants. One paho thread per cluster does
not scale to thousands, so all clients are driven from ONE loop thread with paho's
external-loop API (`loop_read`/`loop_write`/`loop_misc` and the socket callbacks) on a
`selectors` selector. Only that thread touches the clients and the state machines;
other threads talk to it through `_call_soon`. File fetches and attempts to open stream
URLs (ahead, and again every `STREAM_RETRY_S` while a stream on air is down) run in a
small pool.
"""

from __future__ import annotations

import contextlib
import functools
import heapq
import itertools
import queue
import selectors
import socket
import struct
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple, Self

import httpx
import paho.mqtt.client as mqtt
import structlog
from paho.mqtt.enums import CallbackAPIVersion, MQTTErrorCode

from broadcastd.contract import (
    Ack,
    ContractError,
    PlayCommand,
    Presence,
    StopCommand,
    TopicKind,
    is_valid_id,
    parse_command,
    topic,
)
from broadcastd.contract.topics import client_id
from broadcastd.simulate.cluster import Cluster
from broadcastd.simulate.fetch import fetch_and_verify, open_stream
from broadcastd.simulate.record import (
    ClusterRecord,
    FleetRecord,
    FleetView,
    ReceivedCommand,
    SentAck,
)

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]
TICK_SLACK_S = 0.002  # fire a little after a deadline so the cluster's clock has passed it
MISC_EVERY_S = 5.0  # keepalive bookkeeping; far below any sane keepalive
STREAM_RETRY_S = 2.0  # wall seconds between attempts to open a stream that is down


def local_now() -> datetime:
    """The machine's wall clock with its UTC offset, as a cluster stamps its acks."""
    return datetime.now(UTC).astimezone()


class ClusterId(NamedTuple):
    commune: str
    cluster: str

    @property
    def client_id(self) -> str:
        return client_id(self.commune, self.cluster)


def cluster_ids(commune: str, clusters: Iterable[str]) -> tuple[ClusterId, ...]:
    return tuple(ClusterId(commune, name) for name in clusters)


@dataclass(frozen=True, slots=True)
class FleetConfig:
    """How the simulated fleet behaves. Names in `silent`/`late` are bare cluster names
    (`kl-05`, every commune) or client ids (`man-lan.kl-05`). `fetch`: download and
    verify file items and try stream URLs before `ready`, as a real cluster does (off:
    every file is held and every stream opens)."""

    clusters: tuple[ClusterId, ...]
    host: str = "127.0.0.1"
    port: int = 1883
    prefix: str = "broadcast"
    silent: frozenset[str] = frozenset()
    late: Mapping[str, float] = field(default_factory=dict)
    ack_delay_s: float = 0.0
    speed: float = 1.0
    fetch: bool = True
    firmware: str = "sim-1.0"
    volume: int = 80
    keepalive: int = 60
    reconnect_delay_s: float = 2.0
    connect_batch: int = 50
    fetch_workers: int = 4
    log_traffic: bool = False

    def __post_init__(self) -> None:
        errors = [f"invalid id {c.client_id!r}" for c in self.clusters
                  if not (is_valid_id(c.commune) and is_valid_id(c.cluster))]
        if len({c.client_id for c in self.clusters}) != len(self.clusters):
            errors.append("a cluster is listed twice")
        known = {c.cluster for c in self.clusters} | {c.client_id for c in self.clusters}
        errors += [f"unknown cluster {n!r} in silent/late" for n in
                   sorted(set(self.silent) | set(self.late)) if n not in known]
        if self.speed <= 0 or self.ack_delay_s < 0 or any(s < 0 for s in self.late.values()):
            errors.append("speed must be > 0, ack delay and late seconds >= 0")
        if errors:
            raise ValueError("; ".join(errors))

    def is_silent(self, cid: ClusterId) -> bool:
        return cid.cluster in self.silent or cid.client_id in self.silent

    def late_by(self, cid: ClusterId) -> float:
        return self.late.get(cid.client_id, self.late.get(cid.cluster, 0.0))


class _Node:
    """One simulated cluster on the loop: its state machine, client and socket."""

    def __init__(self, cid: ClusterId, config: FleetConfig) -> None:
        self.cid = cid
        self.key = cid.client_id
        self.cluster = None if config.is_silent(cid) else Cluster(
            speed=config.speed, fetch_files=config.fetch, open_streams=config.fetch)
        self.cmd_topic = topic(config.prefix, cid.commune, cid.cluster, TopicKind.CMD)
        self.ack_topic = topic(config.prefix, cid.commune, cid.cluster, TopicKind.ACK)
        self.state_topic = topic(config.prefix, cid.commune, cid.cluster, TopicKind.STATE)
        self.client: mqtt.Client | None = None
        self.sock: socket.socket | None = None
        self.closing = False
        self.deadline: datetime | None = None
        self.fetching: set[str] = set()
        self.retrying: set[str] = set()  # stream URLs with an attempt to open them pending
        self.farewell: mqtt.MQTTMessageInfo | None = None


_MAX_FAILED_TURNS = 100
"""Consecutive failed loop turns after which the fleet gives up."""


class Fleet:
    """Simulated clusters connected to a broker; start with `start()` or `with Fleet(...)`."""

    def __init__(self, config: FleetConfig, *, clock: Clock = local_now) -> None:
        self.config = config
        self._clock = clock
        self._nodes = {cid.client_id: _Node(cid, config) for cid in config.clusters}
        self.record = FleetRecord([
            ClusterRecord(n.cid.commune, n.cid.cluster, silent=n.cluster is None)
            for n in self._nodes.values()])
        self._selector = selectors.DefaultSelector()
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._requests: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._timers: list[tuple[float, int, Callable[[], None]]] = []
        self._seq = itertools.count()
        self._inbox: list[tuple[_Node, str, bytes]] = []
        self._to_connect: deque[_Node] = deque()
        self._stopping = False
        self._stop_deadline = 0.0
        self._thread = threading.Thread(target=self._run, name="sim-fleet", daemon=True)
        self._pool = ThreadPoolExecutor(max_workers=config.fetch_workers,
                                        thread_name_prefix="sim-fetch")
        self._http = httpx.Client(timeout=10.0)

    # -- public API (any thread) ----------------------------------------------------------

    def start(self) -> None:
        self._selector.register(self._wake_r, selectors.EVENT_READ, None)
        for node in self._nodes.values():
            delay = self.config.late_by(node.cid)
            if delay > 0:
                self._later(delay, functools.partial(self._to_connect.append, node))
            else:
                self._to_connect.append(node)
        self._thread.start()

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def wait_for(self, predicate: Callable[[FleetView], bool], timeout: float) -> bool:
        """Block until `predicate(view)` holds; False on timeout. See `FleetView`."""
        return self.record.wait_for(predicate, timeout)

    def wait_online(self, count: int | None = None, timeout: float = 10.0) -> bool:
        """Wait until `count` clusters (default: all not connecting late) are online."""
        if count is None:
            count = sum(1 for c in self.config.clusters if self.config.late_by(c) == 0)
        wanted = count
        return self.wait_for(lambda view: view.totals["online"] >= wanted, timeout)

    def snapshot(self, name: str) -> ClusterRecord:
        """A copy of one cluster's record (client id, or bare name if unique)."""
        return self.record.snapshot(name)

    def crash(self, name: str) -> None:
        """Drop a cluster's socket without DISCONNECT: the broker publishes its Will."""
        node = self._node(name)
        self._call_soon(lambda: self._drop(node))

    def connect(self, name: str) -> None:
        """(Re)connect one cluster, e.g. after `crash()`; its state machine is kept."""
        node = self._node(name)

        def again() -> None:
            node.closing = False
            if node.sock is None:
                self._connect(node)

        self._call_soon(again)

    def stop(self, *, crash: bool = False, timeout: float = 5.0) -> None:
        """Clean: publish retained `online: false`, then DISCONNECT (no Will).
        `crash=True`: drop every socket so the broker publishes every Will."""
        if self._thread.is_alive():
            self._call_soon(lambda: self._shutdown(crash, timeout))
            self._thread.join(timeout + 2.0)
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._http.close()

    # -- loop thread ----------------------------------------------------------------------

    def _call_soon(self, action: Callable[[], None]) -> None:
        self._requests.put(action)
        # BlockingIOError: a wake-up is pending anyway. OSError: the loop has ended and
        # closed its end; nothing will run the action.
        with contextlib.suppress(OSError):
            self._wake_w.send(b"x")

    def _later(self, delay_s: float, action: Callable[[], None]) -> None:
        heapq.heappush(self._timers, (time.monotonic() + delay_s, next(self._seq), action))

    def _node(self, name: str) -> _Node:
        node = self._nodes.get(name)
        if node is None:
            matches = [n for n in self._nodes.values() if n.cid.cluster == name]
            if len(matches) != 1:
                raise KeyError(f"no single simulated cluster named {name!r}")
            node = matches[0]
        return node

    def _run(self) -> None:
        self._later(MISC_EVERY_S, self._misc)
        failures = 0
        try:
            while not self._finished():
                try:
                    self._turn()
                    failures = 0
                except Exception:
                    # One bad turn must not end the fleet (its clusters would all fall
                    # silent at once); a loop that fails every turn does end.
                    failures += 1
                    log.exception("simulated fleet loop turn failed", failures=failures)
                    if failures >= _MAX_FAILED_TURNS:
                        raise
        except Exception:
            log.exception("simulated fleet loop failed")
        finally:
            for node in self._nodes.values():
                self._drop(node)
            self._selector.close()
            self._wake_r.close()
            self._wake_w.close()

    def _turn(self) -> None:
        self._run_requests()
        self._run_timers()
        self._connect_some()
        for key, mask in self._selector.select(self._timeout()):
            self._on_ready(key.data, mask)
        self._handle_inbox()
        if self._stopping:
            self._disconnect_drained()

    def _finished(self) -> bool:
        if not self._stopping:
            return False
        open_ = any(n.sock is not None for n in self._nodes.values())
        return not open_ or time.monotonic() > self._stop_deadline

    def _timeout(self) -> float:
        if self._to_connect or self._inbox:
            return 0.0
        if self._stopping:
            return 0.05
        if not self._timers:
            return 1.0
        return min(1.0, max(0.0, self._timers[0][0] - time.monotonic()))

    def _run_requests(self) -> None:
        while True:
            try:
                action = self._requests.get_nowait()
            except queue.Empty:
                return
            self._guard(action)

    def _run_timers(self) -> None:
        now = time.monotonic()
        while self._timers and self._timers[0][0] <= now:
            _, _, action = heapq.heappop(self._timers)
            self._guard(action)

    @staticmethod
    def _guard(action: Callable[[], None]) -> None:
        try:
            action()
        except Exception:
            log.exception("simulated fleet action failed")

    def _on_ready(self, node: _Node | None, mask: int) -> None:
        if node is None:
            with contextlib.suppress(BlockingIOError):
                self._wake_r.recv(4096)
            return
        client = node.client
        if client is None:
            return
        try:
            if mask & selectors.EVENT_READ:
                client.loop_read()
            if mask & selectors.EVENT_WRITE and node.client is client:
                client.loop_write()
        except Exception:
            log.exception("simulated cluster i/o failed", cluster=node.key)

    def _misc(self) -> None:
        for node in self._nodes.values():
            if node.client is not None and node.sock is not None:
                node.client.loop_misc()
        self._later(MISC_EVERY_S, self._misc)

    # -- connections ----------------------------------------------------------------------

    def _connect_some(self) -> None:
        for _ in range(min(self.config.connect_batch, len(self._to_connect))):
            node = self._to_connect.popleft()
            if not self._stopping and not node.closing:
                self._connect(node)

    def _connect(self, node: _Node) -> None:
        client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=node.key,
                             clean_session=True, userdata=node)
        client.will_set(node.state_topic, Presence(online=False).to_payload(), qos=1, retain=True)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        client.on_message = self._on_message
        client.on_subscribe = self._on_subscribe
        client.on_socket_open = self._on_socket_open
        client.on_socket_close = self._on_socket_close
        client.on_socket_register_write = self._on_register_write
        client.on_socket_unregister_write = self._on_unregister_write
        node.client = client
        try:
            client.connect(self.config.host, self.config.port, self.config.keepalive)
        except OSError as exc:
            log.warning("simulated cluster cannot connect", cluster=node.key, error=str(exc))
            self._drop(node)
            node.closing = False
            self._later(self.config.reconnect_delay_s, lambda: self._retry(node))

    def _retry(self, node: _Node) -> None:
        if not self._stopping and not node.closing and node.sock is None:
            self._connect(node)

    def _drop(self, node: _Node) -> None:
        """Close the socket at once (RST, no DISCONNECT): what a power cut looks like."""
        node.closing = True
        sock, node.sock, node.client = node.sock, None, None
        if sock is None:
            return
        with contextlib.suppress(KeyError, ValueError, OSError):
            self._selector.unregister(sock)
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        self.record.set_online(node.key, False)

    def _shutdown(self, crash: bool, timeout: float) -> None:
        self._stopping = True
        self._stop_deadline = time.monotonic() + timeout
        for node in self._nodes.values():
            client = node.client
            if crash or client is None or not client.is_connected():
                self._drop(node)
                continue
            node.closing = True
            node.farewell = client.publish(node.state_topic, Presence(online=False).to_payload(),
                                           qos=1, retain=True)

    def _disconnect_drained(self) -> None:
        """DISCONNECT once the farewell is acked: closing a socket with a PUBACK still
        unread sends a TCP reset, and the broker would publish the Will after all."""
        for node in self._nodes.values():
            farewell = node.farewell
            if farewell is None:
                continue
            if farewell.rc != MQTTErrorCode.MQTT_ERR_SUCCESS:
                # Never queued (the connection had gone): nothing to wait for.
                node.farewell = None
                self._drop(node)
            elif farewell.is_published():
                node.farewell = None
                if node.client is not None:
                    node.client.disconnect()

    def _on_socket_open(self, client: mqtt.Client, node: _Node, sock: Any) -> None:
        node.sock = sock
        self._selector.register(sock, selectors.EVENT_READ, node)

    def _on_socket_close(self, client: mqtt.Client, node: _Node, sock: Any) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._selector.unregister(sock)
        if node.sock is sock:
            node.sock = None

    def _on_register_write(self, client: mqtt.Client, node: _Node, sock: Any) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._selector.modify(sock, selectors.EVENT_READ | selectors.EVENT_WRITE, node)

    def _on_unregister_write(self, client: mqtt.Client, node: _Node, sock: Any) -> None:
        with contextlib.suppress(KeyError, ValueError):
            self._selector.modify(sock, selectors.EVENT_READ, node)

    def _on_connect(self, client: mqtt.Client, node: _Node, flags: Any, reason: Any,
                    properties: Any) -> None:
        if reason.is_failure:
            log.warning("broker refused simulated cluster", cluster=node.key, reason=str(reason))
            return
        # Subscribe before announcing: the broker handles both in order, so a server that
        # reacts to the state at once finds the subscription in place.
        client.subscribe(node.cmd_topic, qos=1)
        presence = Presence(online=True, firmware=self.config.firmware, volume=self.config.volume)
        client.publish(node.state_topic, presence.to_payload(), qos=1, retain=True)

    def _on_subscribe(self, client: mqtt.Client, node: _Node, mid: int, reasons: Any,
                      properties: Any) -> None:
        """Recorded online once the broker confirms the `cmd` subscription."""
        if any(reason.is_failure for reason in reasons):
            log.warning("broker refused the cmd subscription", cluster=node.key)
            return
        self.record.set_online(node.key, True)
        if self.config.log_traffic:
            log.debug("cluster online", cluster=node.key)

    def _on_disconnect(self, client: mqtt.Client, node: _Node, flags: Any, reason: Any,
                       properties: Any) -> None:
        self.record.set_online(node.key, False)
        if node.closing or self._stopping or node.client is not client:
            return
        log.warning("simulated cluster lost its broker", cluster=node.key, reason=str(reason))
        self._later(self.config.reconnect_delay_s, lambda: self._reconnect(node, client))

    def _reconnect(self, node: _Node, client: mqtt.Client) -> None:
        if node.closing or self._stopping or node.client is not client or node.sock is not None:
            return
        try:
            client.reconnect()
        except OSError:
            self._later(self.config.reconnect_delay_s, lambda: self._reconnect(node, client))

    # -- commands and acks ----------------------------------------------------------------

    def _on_message(self, client: mqtt.Client, node: _Node, message: mqtt.MQTTMessage) -> None:
        self._inbox.append((node, message.topic, bytes(message.payload)))

    def _handle_inbox(self) -> None:
        inbox, self._inbox = self._inbox, []
        for node, name, payload in inbox:
            self._guard(functools.partial(self._on_command, node, name, payload))

    def _on_command(self, node: _Node, name: str, payload: bytes) -> None:
        now = self._clock()
        command: PlayCommand | StopCommand | None = None
        error = ""
        try:
            command = parse_command(payload)
        except ContractError as exc:
            error = f"{exc.reason}: {exc}"
        self.record.add_command(node.key, ReceivedCommand(now, name, payload, command, error))
        if self.config.log_traffic:
            log.debug("command", cluster=node.key, payload=payload[:300].decode("utf-8", "replace"),
                     error=error or None, silent=node.cluster is None)
        if command is None or node.cluster is None or node.closing:
            return
        self._emit(node, node.cluster.on_command(command, now))
        if isinstance(command, PlayCommand):
            self._start_fetch(node, command.broadcast_id)

    def _emit(self, node: _Node, acks: list[Ack]) -> None:
        if acks:
            if self.config.ack_delay_s > 0:
                self._later(self.config.ack_delay_s, lambda: self._publish(node, acks))
            else:
                self._publish(node, acks)
        self._schedule_tick(node)
        self._retry_streams(node)

    def _publish(self, node: _Node, acks: list[Ack]) -> None:
        client = node.client
        if client is None or node.closing or node.cluster is None:
            return  # a crashed cluster sends nothing
        for ack in acks:
            client.publish(node.ack_topic, ack.to_payload(), qos=1)
            if self.config.log_traffic:
                log.debug("ack", cluster=node.key, broadcast_id=ack.broadcast_id,
                         state=ack.state, item=ack.item, detail=ack.detail or None)
        sent_at = local_now()
        self.record.add_acks(node.key, [SentAck(sent_at, a) for a in acks], node.cluster.starts)

    def _schedule_tick(self, node: _Node) -> None:
        assert node.cluster is not None
        deadline = node.cluster.next_deadline()
        if deadline == node.deadline:
            return
        node.deadline = deadline
        if deadline is not None:
            delay = (deadline - self._clock()).total_seconds() + TICK_SLACK_S
            self._later(max(0.0, delay), lambda: self._tick(node, deadline))

    def _tick(self, node: _Node, deadline: datetime) -> None:
        if node.deadline != deadline or node.cluster is None:
            return  # superseded by a later schedule
        node.deadline = None
        self._emit(node, node.cluster.tick(self._clock()))

    def _start_fetch(self, node: _Node, broadcast_id: str) -> None:
        """Fetch a new play's files and try its streams, off the loop thread."""
        assert node.cluster is not None
        items = node.cluster.files_to_fetch(broadcast_id)
        urls = node.cluster.streams_to_open(broadcast_id)
        if not (items or urls) or broadcast_id in node.fetching:
            return
        node.fetching.add(broadcast_id)

        def job() -> None:
            failure = fetch_and_verify(self._http, items) if items else None
            opened = {url: open_stream(self._http, url) for url in urls}
            self._call_soon(lambda: self._prepared(node, broadcast_id, bool(items), failure,
                                                   opened))

        self._pool.submit(job)

    def _prepared(self, node: _Node, broadcast_id: str, fetched: bool, failure: str | None,
                  opened: dict[str, bool]) -> None:
        node.fetching.discard(broadcast_id)
        if fetched and self.config.log_traffic:
            (log.debug if failure is None else log.info)(
                "audio fetched" if failure is None else "audio fetch failed", cluster=node.key, broadcast_id=broadcast_id, error=failure)
        if node.cluster is None or node.closing:
            return
        for url, ok in opened.items():
            self._emit(node, node.cluster.on_stream(url, ok, self._clock()))
        if fetched:
            self._emit(node, node.cluster.on_files(broadcast_id, failure, self._clock()))

    def _retry_streams(self, node: _Node) -> None:
        """Rule 4: a stream on air that could not be opened is tried again while it lasts."""
        assert node.cluster is not None
        for url in node.cluster.streams_down():
            if url not in node.retrying:
                node.retrying.add(url)
                self._later(STREAM_RETRY_S, functools.partial(self._try_stream, node, url))

    def _try_stream(self, node: _Node, url: str) -> None:
        def job() -> None:
            ok = open_stream(self._http, url)
            self._call_soon(lambda: self._stream_tried(node, url, ok))

        self._pool.submit(job)

    def _stream_tried(self, node: _Node, url: str, ok: bool) -> None:
        node.retrying.discard(url)
        if node.cluster is not None and not node.closing:
            self._emit(node, node.cluster.on_stream(url, ok, self._clock()))
