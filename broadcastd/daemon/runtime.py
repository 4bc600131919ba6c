"""The one place where the daemon is put together, in order, and taken apart in reverse.

Start: timetables and library, broker (embedded, if configured), store, HTTP (the
clusters fetch audio from it as soon as a play reaches them), MQTT link, scheduler.
Each piece gets what it needs as arguments; nothing is global.
The broker may be down at start: the link connects in the background and the
scheduler runs anyway, since clusters hold broadcasts sent ahead.
"""

from __future__ import annotations

import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import structlog
from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError

from broadcastd.announce import persist
from broadcastd.announce.service import AnnouncementBook, Announcer
from broadcastd.api.app import create_app
from broadcastd.api.deps import context_of
from broadcastd.audio.catalogue import Catalogue
from broadcastd.audio.errors import CatalogueError
from broadcastd.audio.http import audio_router
from broadcastd.console.library_page import LibraryConfig
from broadcastd.contract.topics import TopicKind, topic
from broadcastd.coordination import Coordinator, Identity
from broadcastd.coordination import subscriptions as coordination_filters
from broadcastd.coordination.drain import drain_session
from broadcastd.coordination.leases import DaemonRow
from broadcastd.daemon.http_server import HttpLimits, HttpServer
from broadcastd.daemon.observer import MetricsObserver
from broadcastd.delivery.dispatcher import Dispatcher
from broadcastd.delivery.embedded_broker import EmbeddedBroker, EmbeddedBrokerError
from broadcastd.delivery.inbound import Inbound
from broadcastd.delivery.link import InboundMessage, MqttLink
from broadcastd.delivery.playlist import PlaylistResolver
from broadcastd.delivery.policy import ResendPolicy
from broadcastd.i18n import _, message_of
from broadcastd.planning.demo import demo_timetable
from broadcastd.planning.occurrences import Occurrence
from broadcastd.scheduling import BroadcastScheduler
from broadcastd.service.metrics import Metrics, metrics_router
from broadcastd.settings import Settings
from broadcastd.speech import speaker_from_settings, text_lengths
from broadcastd.store import Store, open_store
from broadcastd.store.lock import (
    DatabaseLock,
    DatabaseLockError,
    PostgresLock,
    is_postgresql,
    sqlite_file,
)
from broadcastd.store.migrate import SchemaTooNew
from broadcastd.timetable.loader import load_timetables, timetable_files
from broadcastd.timetable.model import Timetable

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]

_FIRST_CONNECT_WAIT_S = 5.0
"""How long start waits for the broker before opening broadcasts anyway."""


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class TimetableState:
    """The timetables in force and what was wrong with the last attempt to load them."""

    timetables: list[Timetable] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    loaded_at: datetime | None = None
    files: dict[str, Path] = field(default_factory=dict)
    """The file each commune's timetable in force was read from."""


@dataclass(frozen=True)
class _Loaded:
    """One reading of the timetable files."""

    good: dict[Path, Timetable]
    broken: frozenset[Path]
    problems: list[str]
    catalogue: Catalogue | None
    """None when the library's catalogue cannot be read (every file then counts as broken)."""


class StartError(RuntimeError):
    """The daemon cannot start; the message says what to fix.

    `permanent`: restarting cannot help until someone changes something (a config, a
    disk, another daemon); the command exits with a status systemd does not restart on.
    """

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


class Daemon:
    def __init__(
        self,
        settings: Settings,
        *,
        demo: bool = False,
        clock: Clock = utc_now,
        before_scheduling: Callable[[Daemon], None] = lambda daemon: None,
    ) -> None:
        """`before_scheduling` runs once broker, store, HTTP and link are up and before
        the first broadcast is opened (the demo attaches its simulated fleet there)."""
        self.settings = settings
        self.demo = demo
        self.clock = clock
        self._before_scheduling = before_scheduling
        self._db_lock: DatabaseLock | PostgresLock | None = None
        self.metrics = Metrics()
        self.state = TimetableState()
        self._catalogue = Catalogue(settings.paths.audio_library)
        self.speaker = speaker_from_settings(settings.tts, settings.paths.audio_library)
        self._lock = threading.Lock()
        self._broker: EmbeddedBroker | None = None
        self.store: Store | None = None
        self.link: MqttLink | None = None
        self.dispatcher: Dispatcher | None = None
        self.inbound: Inbound | None = None
        self.scheduler: BroadcastScheduler | None = None
        self.http: HttpServer | None = None
        self.announcer: Announcer | None = None
        self.coordinator: Coordinator | None = None
        self._book: AnnouncementBook | None = None
        self._fingerprint: tuple[tuple[str, int, int], ...] = ()
        # The timetable in force for each file (resolved path): what a file with errors
        # keeps running until it is fixed.
        self._in_force: dict[Path, Timetable] = {}

    # -- timetables ----------------------------------------------------------------------

    def catalogue(self) -> Catalogue:
        return self._catalogue

    def _load(self) -> _Loaded:
        """From disk: the timetable of each file without errors, the files with errors,
        every error as a printable line, and the library (None when it is broken)."""
        paths = self.settings.paths
        files = [file.resolve() for file in timetable_files([paths.schedules])[0]]
        try:
            catalogue = Catalogue.load(paths.audio_library)
        except CatalogueError as exc:
            return _Loaded({}, frozenset(files), [str(exc)], None)
        loaded = load_timetables([paths.schedules], catalogue, text_lengths(self.speaker))
        for warning in loaded.warnings:
            log.warning("timetable warning", problem=str(warning))
        broken = frozenset(problem.file.resolve() for problem in loaded.errors)
        good = {
            item.path.resolve(): item.timetable
            for item in loaded.timetables
            if item.path.resolve() not in broken
        }
        if self.demo:
            now = self.clock()
            good = {path: demo_timetable(timetable, now) for path, timetable in good.items()}
        return _Loaded(good, broken, [problem.text() for problem in loaded.errors], catalogue)

    def _merge(self, loaded: _Loaded) -> tuple[dict[Path, Timetable], list[str]]:
        """Per file: the new timetable if it has no errors, else the last good one in
        force (none at start, or for a file that never loaded). A removed file's
        commune is dropped. Returns what runs, and the problems with a note per file."""
        merged: dict[Path, Timetable] = dict(loaded.good)
        notes: list[str] = []
        for path in sorted(loaded.broken):
            kept = self._in_force.get(path)
            if kept is None:
                notes.append(_("{file}: left out until its errors are fixed").format(file=str(path)))
                continue
            if any(t.commune.id == kept.commune.id for t in merged.values()):
                notes.append(_("{file}: left out; commune {commune} runs from another file").format(
                    file=str(path), commune=kept.commune.id))
                continue
            merged[path] = kept
            notes.append(_(
                "{file}: the last good timetable of commune {commune} stays in force until its "
                "errors are fixed"
            ).format(file=str(path), commune=kept.commune.id))
        return merged, loaded.problems + notes

    def _apply(self, merged: dict[Path, Timetable], problems: list[str]) -> list[Timetable]:
        self._in_force = merged
        timetables = list(merged.values())
        files = {timetable.commune.id: path for path, timetable in merged.items()}
        self.state = TimetableState(timetables, problems, self.clock(), files)
        return timetables

    def _fingerprint_now(self) -> tuple[tuple[str, int, int], ...]:
        """Names, sizes and modification times of what a reload reads."""
        paths = self.settings.paths
        files = sorted(paths.schedules.glob("*.y*ml")) + [paths.audio_library / "catalogue.yaml"]
        found = []
        for path in files:
            try:
                stat = path.stat()
            except OSError:
                continue
            found.append((str(path), stat.st_mtime_ns, stat.st_size))
        return tuple(found)

    def reload(self) -> bool:
        """Apply changed timetables, commune by commune.

        A file with errors keeps its commune's last good timetable in force (the errors
        are logged, shown in /healthz and /status, and counted as a failed reload); the
        valid edits of the other files apply. Returns True when no file had errors.
        """
        with self._lock:
            self._fingerprint = self._fingerprint_now()
            loaded = self._load()
            if loaded.catalogue is not None:
                self._catalogue = loaded.catalogue
            merged, problems = self._merge(loaded)
            timetables = self._apply(merged, problems)
            assert self.scheduler is not None and self.inbound is not None
            self.inbound.set_topology(_topology(timetables))
            self._watch_named_states(timetables)
            changes = self.scheduler.replace_timetables(timetables)
            communes = [timetable.commune.id for timetable in timetables]
            if self.coordinator is not None:
                self.coordinator.nudge()
            if loaded.problems:
                self.metrics.reload_failed()
                log.error(
                    "reload: files with errors keep their last good timetable",
                    problems=problems,
                    communes=communes,
                    changes=changes,
                )
                return False
            self.metrics.reload_succeeded()
            log.info("timetables reloaded", communes=communes, changes=changes)
            return True

    def reload_if_changed(self) -> None:
        if self._fingerprint_now() != self._fingerprint:
            log.info("timetable or library files changed; reloading")
            self.reload()

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Bring everything up in order. Raises when a part cannot start (a port taken)."""
        settings = self.settings
        self._fingerprint = self._fingerprint_now()
        loaded = self._load()
        if loaded.catalogue is not None:
            self._catalogue = loaded.catalogue
        # One commune's typo must not silence the others: the files without errors run,
        # the errors are shown (/healthz, /status, STATUS, the log) until a fix is saved,
        # which the file watch then applies.
        timetables = self._apply(*self._merge(loaded))
        problems = self.state.problems
        if problems:
            log.error(
                "timetables with errors left out until fixed (see `broadcastd validate`)",
                problems=problems,
                running=[timetable.commune.id for timetable in timetables],
            )
        else:
            self.metrics.reload_succeeded()
        self._lock_database()
        address = settings.broker.address
        if address.embedded:
            try:
                self._broker = EmbeddedBroker(address.host, address.port)
                self._broker.start()
            except EmbeddedBrokerError as exc:
                raise StartError(
                    f"{exc}. Fix: stop what uses port {address.port}, or set broker.url to "
                    "embedded://127.0.0.1:OTHER_PORT (or to mqtt://... for a real broker)"
                ) from exc
            log.info("embedded broker listening", host=address.host, port=address.port)
        self._open_store()
        self.metrics.track_writer_queue(lambda: self.store.queue_length if self.store else 0)
        # HTTP before delivery: the first plays may go out at once (a live slot joined
        # at start), and the clusters fetch their files from us straight away.
        self._start_http()
        self._start_delivery(timetables)
        log.info(
            "broadcastd started",
            communes=[timetable.commune.id for timetable in timetables],
            http=settings.http.listen,
            broker=settings.broker.url,
            demo=self.demo,
        )

    @property
    def coordinated(self) -> bool:
        return self.settings.coordination.mode == "leases"

    def _lock_database(self) -> None:
        """One daemon per database (and so per broker session): a second one stops here.
        With leases, daemons share the database by design: each commune is locked by its
        lease instead, and each daemon has its own MQTT client id."""
        url = self.settings.database.url
        database = sqlite_file(url)
        lock: DatabaseLock | PostgresLock
        if database is not None:
            lock = DatabaseLock(database)
        elif self.coordinated:
            return
        elif is_postgresql(url):
            lock = PostgresLock(url)
        else:
            return
        try:
            lock.acquire()
        except DatabaseLockError as exc:
            raise StartError(str(exc), permanent=not exc.transient) from exc
        self._db_lock = lock

    def _open_store(self) -> None:
        url = self.settings.database.url
        try:
            self.store = open_store(url)
        except SchemaTooNew as exc:
            # Restarting cannot help: this code must not write a schema it does not know.
            raise StartError(_("database {url}: {problem}").format(
                url=_display_url(url), problem=message_of(exc)
            ), permanent=True) from exc
        except (SQLAlchemyError, OSError) as exc:
            reason = getattr(exc, "orig", None) or exc
            # A SQLite file that cannot be written stays so; a database server that is
            # down may be back by the next restart.
            raise StartError(
                f"database {_display_url(url)}: cannot be opened for writing ({reason}). "
                "Fix: point database.url at a writable file the daemon's user owns, or "
                "check that the database server runs",
                permanent=sqlite_file(url) is not None,
            ) from exc
        self.store.start()

    def _start_delivery(self, timetables: list[Timetable]) -> None:
        settings, store = self.settings, self.store
        assert store is not None
        observer = MetricsObserver(
            self.metrics, connected=lambda: self.link is not None and self.link.connected
        )
        resolver = PlaylistResolver(
            self.catalogue, settings.http.public_base_url, spoken=self.speaker.lookup
        )
        try:
            self.link = MqttLink(
                settings.broker,
                on_message=self._inbound_handle,
                on_published=self._published,
                client_id=settings.client_id,
                filters=coordination_filters.filters(
                    settings.broker.topic_prefix, shared_acks=self._shared_acks
                ) if self.coordinated else None,
            )
        except (ssl.SSLError, OSError, ValueError) as exc:
            if not settings.broker.address.tls:
                raise
            raise StartError(
                f"broker.tls: the certificate files cannot be used ({exc}). Fix: give PEM "
                "files: the CA that signed the broker's certificate, and a client "
                "certificate with its own key",
                permanent=True,
            ) from exc
        self.dispatcher = Dispatcher(
            self.link,
            store,
            lambda occ: resolver.items(
                occ.playlist, occ.broadcast_id, (occ.end - occ.start).total_seconds()
            ),
            prefix=settings.broker.topic_prefix,
            lead_time_s=settings.delivery.lead_time_s,
            resend=ResendPolicy(**settings.delivery.resend.model_dump()),
            clock=self.clock,
            observer=observer,
            emergency_resend=ResendPolicy(**settings.delivery.emergency_resend.model_dump()),
            acks_elsewhere=self.coordinated,
        )
        if self.coordinated:
            # Nothing is sent before the first lease round says which communes are ours.
            self.dispatcher.set_owned(frozenset())
        self.inbound = Inbound(
            store,
            self.dispatcher,
            self.link.ack,
            prefix=settings.broker.topic_prefix,
            clock=self.clock,
            observer=observer,
        )
        self.inbound.set_topology(_topology(timetables))
        self._watch_named_states(timetables)
        self.metrics.track_clusters_online(self.dispatcher.online_counts)
        self.link.start()
        # The first plays (a live slot joined at start) go out on a live link when the
        # broker answers at once; when it does not, they are queued and sent on connect.
        if not self.link.wait_connected(_FIRST_CONNECT_WAIT_S):
            log.warning(
                "broker not reachable yet; broadcasts go out when it connects",
                broker=settings.broker.url,
            )
        self._before_scheduling(self)
        book = AnnouncementBook(persist.load(store, self.clock() - persist.KEEP))
        self._book = book
        self.scheduler = BroadcastScheduler(
            self.dispatcher,
            lead_time_s=settings.delivery.lead_time_s,
            replan_interval_s=settings.delivery.replan_interval_s,
            clock=self.clock,
            extra=book.between,
        )
        self.announcer = Announcer(
            store=store,
            book=book,
            scheduler=self.scheduler,
            dispatcher=self.dispatcher,
            timetables=lambda: self.state.timetables,
            catalogue=self.catalogue,
            speaker=self.speaker,
            lead_s=settings.announce.lead_s,
            clock=self.clock,
        )
        self.scheduler.start(timetables)
        self.scheduler.add_interval(self.reload_if_changed, seconds=2.0, name="watch timetables")
        if self.coordinated:
            self._start_coordination()

    # -- several daemons, one province -------------------------------------------------------

    @property
    def _shared_acks(self) -> bool:
        return self.coordinated and self.settings.broker.shared_subscriptions

    def _start_coordination(self) -> None:
        """Leases decide which communes this daemon sends; the scheduler plans the whole
        province (so /schedule and the console show it on any daemon) and the dispatcher
        opens only what this daemon owns."""
        settings = self.settings
        dispatcher = self.dispatcher
        assert dispatcher is not None
        self.coordinator = Coordinator(
            settings.database.url,
            Identity(settings.coordination.name, settings.client_id,
                     settings.coordination.url or settings.http.public_base_url),
            lease_s=settings.coordination.lease_s,
            communes=lambda: [timetable.commune.id for timetable in self.state.timetables],
            busy=lambda commune: commune in dispatcher.active_communes(),
            on_owned=self._owned_changed,
            on_dead=self._drain_dead,
        )
        self.coordinator.start()
        assert self.scheduler is not None
        self.scheduler.add_interval(
            self._follow_other_daemons, seconds=2.0, name="changes made on other daemons"
        )

    def _follow_other_daemons(self) -> None:
        """What people did through another daemon reaches the owner within 2 s: a
        cancellation stops the broadcast, an announcement is sent."""
        if self.dispatcher is not None:
            self.dispatcher.follow_cancellations()
        if self._refresh_announcements() and self.scheduler is not None:
            self.scheduler.replan()

    def _owned_changed(self, owned: frozenset[str]) -> None:
        """Communes lost are dropped without a `stop` (their new owner goes on); communes
        gained are opened from the store, joining what is live: their clusters get the
        same `broadcast_id` again, which a cluster that holds it ignores."""
        assert self.dispatcher is not None and self.scheduler is not None
        self.dispatcher.set_owned(owned)
        try:
            self._refresh_announcements()
        except SQLAlchemyError as exc:  # fenced because the database is away
            log.warning("announcements not re-read", error=str(exc).splitlines()[0])
        self.scheduler.replan()

    def _refresh_announcements(self) -> bool:
        """Announcements made on another daemon, kept in the store. True if any was new."""
        if self._book is None or self.store is None:
            return False
        new = False
        for occurrence in persist.load(self.store, self.clock() - persist.KEEP):
            if not self._book.has(occurrence.base_id):
                self._book.add(occurrence)
                new = True
        return new

    def _drain_dead(self, row: DaemonRow) -> None:
        """Store the acks the broker kept in a dead daemon's MQTT session."""
        store, dispatcher = self.store, self.dispatcher
        if store is None or dispatcher is None or self.inbound is None:
            return
        topology = _topology(self.state.timetables)

        def handler(ack: Callable[[InboundMessage], None]) -> Callable[[InboundMessage], None]:
            inbound = Inbound(store, dispatcher, ack, prefix=self.settings.broker.topic_prefix,
                              clock=self.clock)
            inbound.set_topology(topology)
            return inbound.handle

        try:
            drain_session(self.settings.broker, row.client_id, handler)
        except Exception:
            log.exception("dead daemon's MQTT session not drained", daemon=row.name)

    def _inbound_handle(self, message: InboundMessage) -> None:
        if self.inbound is not None:
            self.inbound.handle(message)

    def _published(self, mid: int) -> None:
        if self.dispatcher is not None:
            self.dispatcher.note_published(mid)

    def http_app(self) -> FastAPI:
        """The API as served: metrics read like /status (a viewer token unless
        `http.anonymous_read`), audio open to the speakers."""
        from broadcastd.daemon.view import LiveView

        assert self.store is not None
        app = create_app(
            self.store,
            LiveView(self),
            audio_router=audio_router(self.settings.paths.audio_library),
            now=self.clock,
            anonymous_read=self.settings.http.anonymous_read,
            readers=[metrics_router(self.metrics)],
            announcer=lambda: self.announcer,
            console=self.settings.console,
            secure_cookies=self.settings.http.tls is not None or self.settings.http.secure_cookies,
            library=LibraryConfig(
                self.settings.paths.audio_library,
                self.settings.paths.schedules,
                int(self.settings.console.max_upload_mb * 1024 * 1024),
            ),
            status_refresh_s=self.settings.http.status_refresh_ms / 1000,
        )
        status = context_of(app).status
        if status is not None:
            status.keep()  # the summary built before anyone asks
        return app

    def _watch_named_states(self, timetables: list[Timetable]) -> None:
        """On a broker that keeps retained messages from wildcard subscriptions, name each
        cluster's state topic, or the daemon would not see who is online until each
        cluster next reconnects (docs/brokers.md)."""
        broker = self.settings.broker
        if self.link is not None and not broker.retained_on_wildcards:
            self.link.watch_states(_state_topics(broker.topic_prefix, timetables))

    def _start_http(self) -> None:
        app = self.http_app()
        http = self.settings.http
        limits = HttpLimits(http.max_connections, http.header_timeout_s, http.keep_alive_s)
        try:
            self.http = HttpServer(
                app,
                http.host,
                http.port,
                limits=limits,
                ssl_certfile=str(http.tls.cert_file) if http.tls else None,
                ssl_keyfile=str(http.tls.key_file) if http.tls else None,
            )
        except (ssl.SSLError, OSError) as exc:
            raise StartError(
                f"http.tls: the certificate or key cannot be used ({exc}). Fix: give a PEM "
                "certificate and the key that belongs to it",
                permanent=True,
            ) from exc
        try:
            self.http.start()
        except RuntimeError as exc:
            raise StartError(f"{exc}. Fix: change http.listen in the configuration") from exc

    def stop(self) -> None:
        """Reverse order: stop taking work, flush every ack, disconnect, close."""
        if self.coordinator is not None:
            # Every commune released at once: the others take over at their next round.
            self.coordinator.stop()
        if self.link is not None and self._shared_acks:
            # No more acks routed to this daemon's session while it is away.
            self.link.unsubscribe([coordination_filters.shared(
                coordination_filters.ack_filter(self.settings.broker.topic_prefix))])
        if self.scheduler is not None:
            self.scheduler.stop()
        if self.http is not None:
            self.http.stop()
        if self.store is not None:
            flushed = self.store.flush(timeout=10.0)
            log.info("acks flushed" if flushed else "acks NOT all flushed")
        if self.link is not None:
            # After the flush, so the PUBACKs of committed acks still reach the broker.
            self.link.stop()
        if self.store is not None:
            self.store.stop()
        if self._broker is not None:
            self._broker.stop()
        if self._db_lock is not None:
            self._db_lock.release()
        log.info("broadcastd stopped")

    # -- queries for the view ----------------------------------------------------------------

    def cancel(self, broadcast_id: str, *, by: str, reason: str | None = None) -> bool:
        return self.scheduler is not None and self.scheduler.cancel(
            broadcast_id, by=by, reason=reason
        )

    def upcoming(self, hours: float) -> list[Occurrence]:
        return self.scheduler.upcoming(hours) if self.scheduler is not None else []

    def probe_link(self) -> None:
        """Have the MQTT loop show life before the watchdog's next check."""
        if self.link is not None:
            self.link.probe()

    def status_line(self) -> str:
        """What `systemctl status` shows: broker, next broadcast, clusters online."""
        parts = ["broker connected" if self.link and self.link.connected else "broker DOWN"]
        upcoming = [occ for occ in self.upcoming(48) if occ.start > self.clock()]
        if upcoming:
            first = upcoming[0]
            parts.append(f"next {first.broadcast_id} at {first.start:%H:%M %z}")
        total = sum(len(timetable.clusters) for timetable in self.state.timetables)
        online = sum(self.dispatcher.online_counts().values()) if self.dispatcher else 0
        parts.append(f"{online}/{total} clusters online")
        if self.state.problems:
            parts.append("TIMETABLE ERRORS (old timetable in force)")
        return " · ".join(parts)


def _display_url(url: str) -> str:
    """The URL without its password."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def _state_topics(prefix: str, timetables: list[Timetable]) -> list[str]:
    return [
        topic(prefix, timetable.commune.id, cluster, TopicKind.STATE)
        for timetable in timetables
        for cluster in timetable.clusters
    ]


def _topology(timetables: list[Timetable]) -> dict[str, frozenset[str]]:
    return {timetable.commune.id: frozenset(timetable.clusters) for timetable in timetables}

