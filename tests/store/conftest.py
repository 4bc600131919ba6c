"""The store on each database it supports: a real SQLite file per test, and a schema of
its own per test in a real PostgreSQL; the writer running."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from broadcastd.store import Store, open_store
from tests.postgres import PostgresDatabase

from .builders import STORED_AT


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'broadcastd.db'}"
        return
    database: PostgresDatabase = request.getfixturevalue("postgres")
    with database.schema() as url:
        yield url


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = open_store(db_url, now=lambda: STORED_AT)
    opened.start()
    yield opened
    opened.stop()
