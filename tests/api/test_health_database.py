"""`/healthz` tells the truth about the database (issue 8, defect 8).

On a full disk a tiny probe write can still fit (in the WAL, or a page rewritten in
place) while every real write fails. Here the database is made full for real with
SQLite's own page limit (`max_page_count`, the injected fault): the probe row still
updates in place, the writer's batches fail, and /healthz must say so.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from broadcastd.api import create_app
from broadcastd.store import Store, open_store

from .fakes import MORNING, Clock, FakeDaemon, serve


@dataclass
class FullDisk:
    store: Store
    limited: list[Any] = field(default_factory=list)
    full: bool = True

    def give_room(self) -> None:
        """Lift the page limit on the connections it was set on (the writer's included)."""
        self.full = False
        for connection in self.limited:
            connection.execute("PRAGMA max_page_count = 1073741823")


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[FullDisk]:
    made = FullDisk(open_store(f"sqlite:///{tmp_path / 'broadcastd.db'}"))

    @event.listens_for(made.store.engine, "checkout")
    def no_room_to_grow(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if not made.full:
            return
        cursor = dbapi_connection.cursor()
        (pages,) = cursor.execute("PRAGMA page_count").fetchone()
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()
        made.limited.append(dbapi_connection)

    made.store.start()
    yield made
    made.give_room()  # so the writer's retry goes through and it stops cleanly
    made.store.stop()


def database_check(base_url: str) -> dict[str, Any]:
    health: dict[str, Any] = httpx.get(f"{base_url}/healthz", timeout=5).json()
    return health


def test_healthz_reports_the_writers_failures_on_a_full_database(
    disk: FullDisk, clock: Clock
) -> None:
    app = create_app(disk.store, FakeDaemon(), now=clock)
    clusters = [f"loa-{n:03d}" for n in range(400)]  # far more than the file has room for
    disk.store.record_broadcast(MORNING, clusters)

    with serve(app) as base_url:
        deadline = time.monotonic() + 10
        health = database_check(base_url)
        while health["checks"]["database"]["ok"] and time.monotonic() < deadline:
            time.sleep(0.1)
            health = database_check(base_url)

        assert health["status"] == "unhealthy"
        detail = health["checks"]["database"]["detail"]
        assert "not writable" in detail and "full" in detail, detail
        assert detail in health["reasons"]

        disk.give_room()
        assert disk.store.flush(timeout=15)  # the writer's retry went through
        health = database_check(base_url)
        assert health["checks"]["database"] == {"ok": True, "detail": "writable"}
