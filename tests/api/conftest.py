"""A real uvicorn server on a free port, over a real SQLite store and a fake daemon view."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from fastapi import APIRouter

from broadcastd.access import Role
from broadcastd.api import create_app
from broadcastd.store import Store, open_store

from .fakes import MORNING_START, Clock, FakeDaemon, bearer, make_token, serve


@pytest.fixture
def clock() -> Clock:
    return Clock(MORNING_START + timedelta(minutes=10))  # 05:40, the morning slot is live


@pytest.fixture
def daemon() -> FakeDaemon:
    return FakeDaemon()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    opened = open_store(f"sqlite:///{tmp_path / 'broadcastd.db'}")
    opened.start()
    yield opened
    opened.stop()


@pytest.fixture
def audio() -> APIRouter:
    router = APIRouter()

    @router.get("/audio/{name}")
    def audio_file(name: str) -> dict[str, str]:
        return {"file": name}

    return router


@pytest.fixture
def http(
    store: Store, daemon: FakeDaemon, clock: Clock, audio: APIRouter
) -> Iterator[httpx.Client]:
    """A client holding an operator token: these tests are about what the API says."""
    app = create_app(store, daemon, audio, now=clock)
    token = make_token(store, "test-operator", Role.OPERATOR)
    with serve(app) as base_url, httpx.Client(
        base_url=base_url, timeout=10, headers=bearer(token)
    ) as client:
        yield client
