"""`broadcastd run`: the daemon's main thread, its signals and its service manager.

SIGTERM and SIGINT stop it (flushing every ack first), SIGHUP reloads the timetables.
systemd hears READY=1 once the scheduler and HTTP server are up (the broker may still
be connecting), WATCHDOG=1 only while the scheduler, the MQTT loop, the database
writer and the HTTP server are all alive, and STOPPING=1 on the way out.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from types import FrameType

import structlog

from broadcastd.daemon.runtime import Daemon
from broadcastd.service import memory
from broadcastd.service.notify import Notifier
from broadcastd.service.watchdog import Heartbeats, WatchdogPinger

log = structlog.get_logger(__name__)

# Pinger rounds without a watchdog (no `WatchdogSec=`): STATUS is still refreshed.
STATUS_INTERVAL_S = 10.0
# Bounds on how long a worker may stay silent before the watchdog ping is withheld.
MIN_SILENCE_S = 2.0
MAX_SILENCE_S = 15.0
# How soon the main loop acts on a signal.
_SIGNAL_POLL_S = 0.1


def max_silence_s(interval_s: float) -> float:
    """Silence allowed to the scheduler (ticks each second) and the database writer
    (turns each half second when idle): a few pinger rounds, so a busy moment is not a
    hang, but never so long that a hang goes unnoticed for long."""
    return min(MAX_SILENCE_S, max(MIN_SILENCE_S, 3 * interval_s))


def heartbeats_for(daemon: Daemon, interval_s: float) -> Heartbeats:
    """The four workers whose life the watchdog ping stands for.

    The MQTT loop shows life when it handles a packet; the pinger probes the broker
    after each round (`MqttLink.probe`), so a quiet but healthy link answers within the
    next round, and the allowance is two rounds. The HTTP server's loop turns every
    0.1 s whatever the traffic: silence there is a blocked event loop or a dead thread.
    """
    scheduler, link, store, http = daemon.scheduler, daemon.link, daemon.store, daemon.http
    assert scheduler is not None and link is not None and store is not None
    assert http is not None
    beats = Heartbeats()
    silence = max_silence_s(interval_s)
    beats.register("scheduler", silence, last_beat=scheduler.last_tick)
    beats.register("mqtt", max(MIN_SILENCE_S, 2 * interval_s + 1), last_beat=link.last_beat)
    beats.register("db-writer", silence, last_beat=lambda: store.writer_heartbeat)
    beats.register("http", silence, last_beat=http.last_beat)
    return beats


def serve(
    daemon: Daemon,
    stop: threading.Event,
    on_started: Callable[[], None] = lambda: None,
    on_stopping: Callable[[], None] = lambda: None,
) -> None:
    """Run until `stop` is set (by a signal, or by the caller in tests)."""
    notifier = Notifier()
    requests = _SignalRequests()
    _install_signals(requests)
    try:
        daemon.start()
    except BaseException:
        notifier.stopping()
        daemon.stop()
        raise
    interval = notifier.watchdog_interval() or STATUS_INTERVAL_S
    pinger = WatchdogPinger(
        notifier,
        heartbeats_for(daemon, interval),
        daemon.status_line,
        status_interval_s=interval,
        probe=daemon.probe_link,
    )
    pinger.start()
    trimmed = threading.Event()
    memory.trim_periodically(trimmed)
    notifier.ready()
    notifier.status(daemon.status_line())
    on_started()
    try:
        _wait(daemon, stop, notifier, requests)
    finally:
        log.info("stopping")
        trimmed.set()
        notifier.stopping()
        on_stopping()
        pinger.stop()
        daemon.stop()
        notifier.close()


@dataclass
class _SignalRequests:
    """What signals asked for, set by their handlers and acted on by the main loop.

    A handler only assigns an attribute: it runs on the main thread between two
    bytecodes, and anything that takes a lock there (Event.set, a log line, starting a
    thread) deadlocks when the interrupted code holds that lock, as `Event.wait`
    does each time it wakes; two quick SIGTERMs froze the daemon that way.
    """

    stop: str | None = None
    reloads: int = 0


def _install_signals(requests: _SignalRequests) -> None:
    if threading.current_thread() is not threading.main_thread():
        return

    def request_stop(signum: int, frame: FrameType | None) -> None:
        requests.stop = signal.Signals(signum).name

    def request_reload(signum: int, frame: FrameType | None) -> None:
        requests.reloads += 1

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
    signal.signal(signal.SIGHUP, request_reload)


def _wait(
    daemon: Daemon, stop: threading.Event, notifier: Notifier, requests: _SignalRequests
) -> None:
    """Until `stop` is set or a signal asks to stop; reloads run on a thread of their own."""
    reloads_done = 0
    while not stop.is_set() and requests.stop is None:
        if requests.reloads != reloads_done:
            reloads_done = requests.reloads
            _reload_in_background(daemon, notifier)
        time.sleep(_SIGNAL_POLL_S)
    if requests.stop is not None:
        log.info("signal received, stopping", signal=requests.stop)
        stop.set()


def _reload_in_background(daemon: Daemon, notifier: Notifier) -> None:
    # Not on the main thread: a reload may take a while and the loop must see SIGTERM.
    def run() -> None:
        notifier.reloading()
        try:
            daemon.reload()
        except Exception:  # a reload bug must not leave systemd waiting
            log.exception("reload failed; the running timetables stay")
        finally:
            notifier.ready()
            notifier.status(daemon.status_line())

    threading.Thread(target=run, name="reload", daemon=True).start()
