"""`Store.commit`: a write someone waits for goes through the one writer and says
whether it reached the database."""

from __future__ import annotations

import pytest
from sqlalchemy import Connection, func, insert, select

from broadcastd.store import Store, StoreWriteFailed
from broadcastd.store.access import record_change
from broadcastd.store.schema import announcements, changes
from broadcastd.store.writer import WriteOp

from .builders import STORED_AT


def _count(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(changes)).scalar_one())


def test_a_committed_write_is_there_when_commit_returns(store: Store) -> None:
    def apply(conn: Connection) -> str:
        record_change(conn, STORED_AT, "district-script", "announce", "man-lan/x/2026-11-29", None)
        return "kept"

    assert store.commit(WriteOp("audit", apply)) == "kept"
    assert store.read(_count) == 1


def test_a_refused_write_raises_and_leaves_nothing(store: Store) -> None:
    def apply(conn: Connection) -> None:
        record_change(conn, STORED_AT, "district-script", "announce", "man-lan/x/2026-11-29", None)
        conn.execute(insert(announcements), {"id": "man-lan/x/2026-11-29"})  # NOT NULLs missing

    with pytest.raises(StoreWriteFailed):
        store.commit(WriteOp("broken", apply))
    assert store.read(_count) == 0
