"""A real SQLite file per test, and the store on it with its writer running."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from broadcastd.store import Store, open_store

from .builders import STORED_AT


@pytest.fixture
def db_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'broadcastd.db'}"


@pytest.fixture
def store(db_url: str) -> Iterator[Store]:
    opened = open_store(db_url, now=lambda: STORED_AT)
    opened.start()
    yield opened
    opened.stop()
