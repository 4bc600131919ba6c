"""The fake daemon view, the clock, sample broadcasts, and a real uvicorn server in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import uvicorn
from fastapi import FastAPI

from broadcastd.access import Role, new_token, token_digest
from broadcastd.announce import AnnouncementRequest, to_occurrence
from broadcastd.announce.service import StopRefused
from broadcastd.api import CommuneTopology, HealthReport, OccurrenceView
from broadcastd.api.views import DayChangeView
from broadcastd.audio.catalogue import AudioEntry
from broadcastd.planning import Occurrence
from broadcastd.store import BroadcastRecord, Store
from broadcastd.store.access import add_token
from broadcastd.timetable.model import Timetable

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
MORNING_START = datetime(2026, 11, 29, 5, 30, tzinfo=HANOI)
MORNING_ID = "man-lan/morning/2026-11-29"

TOPOLOGY = [
    CommuneTopology(
        commune="man-lan",
        name="Mạn Lạn",
        timezone="Asia/Ho_Chi_Minh",
        areas={"ban-coc": ["coc-1", "coc-2"], "na-hu": ["na-hu-1"]},
        area_names={"ban-coc": "Bản Cóc", "na-hu": "Nà Hu"},
    ),
    CommuneTopology(
        commune="khai-xuan",
        name="Khải Xuân",
        timezone="Asia/Ho_Chi_Minh",
        areas={"ban-khai": ["khai-1"]},
    ),
]


class Clock:
    """The time the API believes it is; tests move it."""

    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


@dataclass
class FakeDaemon:
    """Stands in for the lead's daemon: health flags, topology, plan and cancellations."""

    report: HealthReport = field(
        default_factory=lambda: HealthReport(
            scheduler_running=True, broker_connected=True, timetables_ok=True
        )
    )
    plan: list[OccurrenceView] = field(default_factory=list)
    cancellable: set[str] = field(default_factory=set)
    cancelled: list[str] = field(default_factory=list)
    asked_hours: list[float] = field(default_factory=list)
    changes: list[DayChangeView] = field(default_factory=list)

    def health(self) -> HealthReport:
        return self.report

    def topology(self) -> list[CommuneTopology]:
        return TOPOLOGY

    def upcoming(self, hours: float) -> list[OccurrenceView]:
        self.asked_hours.append(hours)
        return self.plan

    def day_changes(self, hours: float) -> list[DayChangeView]:
        return self.changes

    store: Store | None = None
    """When set, a cancel is recorded there as the dispatcher records it."""
    clock: Clock | None = None
    cancelled_by: list[tuple[str, str | None]] = field(default_factory=list)

    def cancel(self, broadcast_id: str, *, by: str, reason: str | None = None) -> bool:
        if broadcast_id not in self.cancellable:
            return False
        self.cancellable.discard(broadcast_id)
        self.cancelled.append(broadcast_id)
        self.cancelled_by.append((by, reason))
        if self.store is not None and self.clock is not None:
            self.store.cancel_broadcast(broadcast_id, self.clock(), by=by, reason=reason)
        return True


LIBRARY = [
    AudioEntry(name="canh-bao-lu", file="0" * 64 + ".mp3", title="Cảnh báo lũ", duration_s=42.0,
               sha256="0" * 64, loudness_lufs=-16.0, true_peak_dbtp=-1.5, source="canh-bao-lu.wav",
               imported_at=datetime(2026, 11, 1, tzinfo=UTC)),
]
"""The audio library the fake desk checks announcements against."""


SPOKEN_S = 9.0
"""How long the fake desk says any written notice takes to read out."""


@dataclass
class FakeDesk:
    """Announcements checked by the real pure planner against the fake topology, and
    nothing sent: what the routes see of the daemon's `Announcer`."""

    clock: Clock
    announced: list[Occurrence] = field(default_factory=list)
    live: dict[str, list[str]] = field(default_factory=dict)
    """Broadcast id -> clusters, for partial stops."""

    def announce(self, request: AnnouncementRequest, *, by: str) -> Occurrence:
        occurrence = self.preview(request)
        self.announced.append(occurrence)
        return occurrence

    def preview(self, request: AnnouncementRequest) -> Occurrence:
        timetables = [
            Timetable.model_validate({
                "commune": {"id": c.commune, "name": c.name, "timezone": c.timezone},
                "areas": [{"id": a, "name": a, "clusters": k} for a, k in c.areas.items()],
            })
            for c in TOPOLOGY
        ]
        taken = {occ.base_id for occ in self.announced}
        return to_occurrence(request, timetables, {e.name: e.duration_s for e in LIBRARY}.get,
                             self.clock(), lead_s=5, taken=taken.__contains__,
                             spoken=lambda text: SPOKEN_S)

    def library(self) -> list[AudioEntry]:
        return list(LIBRARY)

    def stop(self, broadcast_id: str, clusters: Sequence[str], *, by: str,
             reason: str | None) -> list[str]:
        targets = self.live.get(broadcast_id)
        if targets is None:
            raise StopRefused(409, f"{broadcast_id} is not being delivered now")
        unknown = [c for c in clusters if c not in targets]
        if unknown:
            raise StopRefused(422, f"{broadcast_id} does not go to {', '.join(unknown)}")
        return list(clusters)


def make_token(store: Store, name: str, role: Role) -> str:
    """A token in the store as `broadcastd token create` makes it; returns the token."""
    token = new_token()
    with store.engine.begin() as conn:
        add_token(conn, name, role.value, token_digest(token), datetime.now(UTC), "test")
    return token


def make_user(store: Store, name: str, role: Role, password: str) -> None:
    """A console user in the store as `broadcastd user add` makes one."""
    from broadcastd.access.passwords import hash_password
    from broadcastd.store.users import add_user

    with store.engine.begin() as conn:
        add_user(conn, name, role.value, hash_password(password), datetime.now(UTC), "test")


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def record(commune: str, slot: str, start: datetime, minutes: int, title: str) -> BroadcastRecord:
    local = start.astimezone(HANOI)
    return BroadcastRecord(
        broadcast_id=f"{commune}/{slot}/{local.date().isoformat()}",
        commune=commune,
        slot=slot,
        date=local.date(),
        title=title,
        start=start,
        end=start + timedelta(minutes=minutes),
        priority=0,
        volume=80,
        send_at=start - timedelta(minutes=2),
    )


MORNING = record("man-lan", "morning", MORNING_START, 30, "Bản tin sáng")
EVENING_BEFORE = record(
    "man-lan", "evening", datetime(2026, 11, 28, 17, 0, tzinfo=HANOI), 75, "Tiếp sóng huyện"
)
KHAI_MORNING = record("khai-xuan", "morning", MORNING_START, 30, "Bản tin Khải Xuân")
assert MORNING.date == date(2026, 11, 29)


@contextmanager
def serve(app: FastAPI) -> Iterator[str]:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
