"""Leases on the real PostgreSQL: one owner per commune, fair shares, expiry by the
database's clock, and the view /status reads."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, create_engine, text

from broadcastd.coordination import leases, province
from broadcastd.coordination.share import Lease, plan_round
from broadcastd.store.schema import metadata
from tests.postgres import PostgresDatabase

COMMUNES = [f"xa-{n:02d}" for n in range(1, 31)]


@pytest.fixture
def engine(postgres: PostgresDatabase) -> Iterator[Engine]:
    with postgres.schema() as url:
        made = create_engine(url)
        metadata.create_all(made)
        yield made
        made.dispose()


def _round(engine: Engine, me: str, lease_s: float = 30.0) -> set[str]:
    with engine.begin() as conn:
        leases.heartbeat(conn, me, f"broadcastd-{me}", "http://x", lease_s, first=False)
        rows = leases.daemon_rows(conn)
        plan = plan_round(me, COMMUNES, leases.leases(conn), sum(r.live for r in rows),
                          leases.db_now(conn), busy=lambda commune: False)
        leases.release(conn, me, plan.release)
        return leases.claim(conn, me, plan.keep | plan.take, lease_s)


def test_three_daemons_share_thirty_communes_each_owned_once(engine: Engine) -> None:
    for name in ("a", "b", "c"):
        _round(engine, name)
    for _ in range(3):  # the first one took all; it lets go, the others take
        for name in ("a", "b", "c"):
            _round(engine, name)
    with engine.connect() as conn:
        owners = leases.leases(conn)
    assert sorted(owners) == COMMUNES
    counts = {name: sum(1 for lease in owners.values() if lease.daemon == name)
              for name in ("a", "b", "c")}
    assert counts == {"a": 10, "b": 10, "c": 10}


def test_a_live_lease_is_never_taken_an_expired_one_is(engine: Engine) -> None:
    with engine.begin() as conn:
        assert leases.claim(conn, "a", ["xa-01", "xa-02"], 30.0) == {"xa-01", "xa-02"}
        assert leases.claim(conn, "b", ["xa-01", "xa-03"], 30.0) == {"xa-03"}
        conn.execute(text("UPDATE commune_leases SET expires_at = now() - interval '1 second' "
                          "WHERE commune = 'xa-02'"))
        assert leases.claim(conn, "b", ["xa-02"], 30.0) == {"xa-02"}
        owners = leases.leases(conn)
    assert owners["xa-01"].daemon == "a" and owners["xa-02"].daemon == "b"


def test_a_dead_daemon_drops_out_of_the_share(engine: Engine) -> None:
    _round(engine, "a", lease_s=30.0)
    _round(engine, "b", lease_s=30.0)
    with engine.begin() as conn:
        conn.execute(text("UPDATE daemons SET heartbeat_at = now() - interval '1 minute' "
                          "WHERE name = 'a'"))
        conn.execute(text("UPDATE commune_leases SET expires_at = now() - interval '1 second' "
                          "WHERE daemon = 'a'"))
        assert [r.name for r in leases.daemon_rows(conn) if r.live] == ["b"]
        assert leases.forget_daemon(conn, "a", only_if_dead=True)
        assert not leases.forget_daemon(conn, "b", only_if_dead=True)
    assert _round(engine, "b") == set(COMMUNES)
    with engine.connect() as conn:
        seen = province(conn)
    assert {lease.daemon for lease in seen.owners.values()} == {"b"}
    assert seen.owner("xa-01") is not None and [d.name for d in seen.daemons] == ["b"]


def test_beyond_its_share_a_daemon_lets_go_of_idle_communes_only() -> None:
    now = datetime(2026, 11, 29, tzinfo=UTC)
    held = {c: Lease(c, "a", now + timedelta(seconds=10)) for c in COMMUNES}
    busy = set(COMMUNES[:25])
    plan = plan_round("a", COMMUNES, held, 2, now, busy=lambda c: c in busy)
    assert plan.share == 15
    assert plan.release == frozenset(COMMUNES[25:])  # 5 idle ones, not 15
    assert plan.take == frozenset()
