"""A province of three daemons on the session's PostgreSQL and the machine's Mosquitto."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from broadcastd.store import open_store
from tests.conftest import free_port
from tests.integration.conftest import audio_library  # noqa: F401  (a generated library)
from tests.postgres import PostgresDatabase

from .province import DaemonProcess, Province


@pytest.fixture
def database_url(postgres: PostgresDatabase) -> Iterator[str]:
    with postgres.schema() as url:
        # Tables made once, before three daemons start at the same instant.
        open_store(url).engine.dispose()
        yield url


@pytest.fixture
def province(tmp_path: Path) -> Iterator[Province]:
    made = Province([DaemonProcess(name, tmp_path / name, free_port())
                     for name in ("d1", "d2", "d3")])
    yield made
    made.stop()
