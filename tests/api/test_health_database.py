"""`/healthz` tells the truth about the database (issue 8, defect 8).

On a full disk a tiny probe write can still fit (in the WAL, or a page rewritten in
place) while every real write fails. Here the database is made full for real with
SQLite's own page limit (`max_page_count`, the injected fault): the probe row still
updates in place, the writer's batches fail, and /healthz must say so.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import event

from broadcastd.api import create_app
from broadcastd.store import Store, open_store

from .fakes import MORNING, Clock, FakeDaemon, serve


@pytest.fixture
def full_store(tmp_path: Path) -> Iterator[Store]:
    store = open_store(f"sqlite:///{tmp_path / 'broadcastd.db'}")

    @event.listens_for(store.engine, "checkout")
    def no_room_to_grow(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        cursor = dbapi_connection.cursor()
        (pages,) = cursor.execute("PRAGMA page_count").fetchone()
        cursor.execute(f"PRAGMA max_page_count = {pages}")
        cursor.close()

    store.start()
    yield store
    store.stop(timeout=1.0)


def test_healthz_reports_the_writers_failures_on_a_full_database(
    full_store: Store, clock: Clock
) -> None:
    app = create_app(full_store, FakeDaemon(), now=clock)
    clusters = [f"loa-{n:03d}" for n in range(400)]  # far more than the file has room for
    full_store.record_broadcast(MORNING, clusters)

    with serve(app) as base_url:
        deadline = time.monotonic() + 10
        health = httpx.get(f"{base_url}/healthz", timeout=5).json()
        while health["checks"]["database"]["ok"] and time.monotonic() < deadline:
            time.sleep(0.1)
            health = httpx.get(f"{base_url}/healthz", timeout=5).json()

    assert health["status"] == "unhealthy"
    detail = health["checks"]["database"]["detail"]
    assert "not writable" in detail and "full" in detail, detail
    assert detail in health["reasons"]
