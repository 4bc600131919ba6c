"""The schema comes from the migrations: an empty database migrated to head is exactly
schema.py's (so a schema change without its migration fails here), a database newer
than the code is refused untouched, daemons starting together migrate once, and
`broadcastd db` says where a database stands."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, create_engine, inspect, text

from broadcastd.cli import main
from broadcastd.store import open_store
from broadcastd.store.engine import make_engine, store_engine
from broadcastd.store.migrate import (
    SchemaTooNew,
    alembic_config,
    head,
    schema_state,
    upgrade_to_head,
)
from broadcastd.store.schema import metadata

from .builders import CLUSTERS, STORED_AT, morning

UNKNOWN = "9999"
"""A revision no broadcastd has yet: what a database upgraded by a newer one carries."""


def differences(engine: Engine) -> list[object]:
    """What Alembic's autogenerate would write to bring the database to schema.py."""
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        found: list[object] = compare_metadata(context, metadata)
        return found


def test_an_empty_database_migrated_to_head_is_exactly_the_schema(db_url: str) -> None:
    engine = make_engine(db_url)
    try:
        assert differences(engine) == []
        with engine.connect() as conn:
            assert schema_state(conn).revision == head()
    finally:
        engine.dispose()


def test_the_comparison_sees_a_change_the_migrations_lack(db_url: str) -> None:
    """The check above can fail: a column only schema.py has is a difference."""
    engine = make_engine(db_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE broadcasts ADD COLUMN stray INTEGER"))
        assert [diff[0] for diff in differences(engine)] == ["remove_column"]  # type: ignore[index]
    finally:
        engine.dispose()


def stamp(url: str, revision: str) -> None:
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = :r"), {"r": revision})
    engine.dispose()


def test_a_database_newer_than_the_code_is_refused_and_left_alone(db_url: str) -> None:
    store = open_store(db_url, now=lambda: STORED_AT)
    store.record_broadcast(morning(), CLUSTERS)
    store.start()
    store.stop()
    stamp(db_url, UNKNOWN)

    with pytest.raises(SchemaTooNew) as refused:
        open_store(db_url)

    said = str(refused.value)
    assert UNKNOWN in said and head() in said
    assert "install that newer broadcastd" in said and "restore the backup" in said
    engine = create_engine(db_url)
    with engine.connect() as conn:
        assert schema_state(conn).revision == UNKNOWN
        assert conn.execute(text("SELECT count(*) FROM deliveries")).scalar() == len(CLUSTERS)
    engine.dispose()


def test_a_second_start_does_nothing(db_url: str) -> None:
    first = store_engine(db_url)
    second = store_engine(db_url)
    try:
        made = upgrade_to_head(first)
        again = upgrade_to_head(second)
    finally:
        first.dispose()
        second.dispose()
    assert (made.before, made.after, made.changed) == (None, head(), True)
    assert (again.before, again.after, again.changed) == (head(), head(), False)


def test_daemons_starting_together_migrate_once(db_url: str) -> None:
    """Four processes' worth of engines upgrade one empty database at the same moment:
    each waits for the one migrating (advisory lock, or SQLite's write lock), then finds
    nothing to do. Without the lock two would create the same tables and one fail."""
    engines = [store_engine(db_url) for _ in range(4)]
    # The database exists, empty, as an administrator made it (a brand-new SQLite file
    # opened by four at once can refuse one its switch to WAL: the daemon's file lock
    # keeps that from happening; it is not what this test is about).
    engines[0].connect().close()
    gate = threading.Barrier(len(engines), timeout=30)

    def start(engine: Engine) -> bool:
        gate.wait()
        return upgrade_to_head(engine).changed

    try:
        with ThreadPoolExecutor(len(engines)) as pool:
            done = [future.result(timeout=60) for future in
                    [pool.submit(start, engine) for engine in engines]]
    finally:
        for engine in engines:
            engine.dispose()
    assert sorted(done) == [False, False, False, True]


def test_the_migrations_run_without_alembic_ini() -> None:
    """What a wheel install has: the folder inside the package, no ini file."""
    config = alembic_config()
    assert config.config_file_name is None
    folder = Path(config.get_main_option("script_location") or "")
    assert (folder / "env.py").is_file() and folder.parent.name == "store"


def run_cli(*argv: str, config: Path) -> int:
    return main(["--lang", "en", "db", *argv, "--config", str(config)])


@pytest.fixture
def config_of(tmp_path: Path) -> Path:
    config = tmp_path / "broadcastd.yaml"
    config.write_text(f"database:\n  url: sqlite:///{tmp_path / 'var' / 'broadcastd.db'}\n")
    return config


def test_db_current_and_upgrade_say_where_the_database_stands(
    config_of: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    url = f"sqlite:///{tmp_path / 'var' / 'broadcastd.db'}"
    assert run_cli("current", config=config_of) == 1  # no file yet: the upgrade is due
    assert run_cli("upgrade", config=config_of) == 0
    assert f"schema upgraded from none (empty database) to {head()}" in capsys.readouterr().out

    assert run_cli("current", config=config_of) == 0
    out = capsys.readouterr().out
    assert f"broadcastd.db: schema {head()}" in out and f"this broadcastd: schema {head()}" in out
    assert run_cli("upgrade", config=config_of) == 0
    assert "nothing to do" in capsys.readouterr().out

    stamp(url, UNKNOWN)
    assert run_cli("current", config=config_of) == 2
    assert "newer than this broadcastd" in capsys.readouterr().err
    assert run_cli("upgrade", config=config_of) == 2
    err = capsys.readouterr().err
    assert UNKNOWN in err and "restore the backup" in err
    assert main(["--lang", "en", "token", "list", "--config", str(config_of)]) == 2
    assert UNKNOWN in capsys.readouterr().err  # a line, not a traceback
    engine = create_engine(url)
    assert "broadcasts" in inspect(engine).get_table_names()
    engine.dispose()
