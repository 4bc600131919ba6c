"""The database's schema brought to the code's: Alembic revisions run from code, at start
(`make_engine`) and by `broadcastd db upgrade`.

The whole upgrade is one transaction, so it is all done or not at all, and it is
serialised between processes: on SQLite by the store engine's `BEGIN IMMEDIATE` (one
writer per file); on PostgreSQL by a transaction-scoped advisory lock per schema, so
daemons starting together on one database never run a migration twice. Foreign keys
are off on SQLite while it runs (a batch-mode table rebuild drops and recreates
tables) and checked before the commit.

A database made before migrations (our tables, no `alembic_version`) gets the fixes of
`upgrade.py` and any table of revision 0001 it lacks, is stamped at 0001, then upgraded.
A database at a revision this code does not know was upgraded by a newer broadcastd:
it is refused (`SchemaTooNew`), never touched.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from broadcastd.i18n import _
from broadcastd.store.migrations import baseline
from broadcastd.store.upgrade import apply_fixes

MIGRATIONS = Path(__file__).with_name("migrations")
BASELINE = "0001"
"""The revision of the schema as released at 711ca29, where pre-migration databases join."""
VERSION_TABLE = "alembic_version"
LOCK_KEY = "hashtext('broadcastd-migrate:' || coalesce(current_schema(), ''))"
"""The advisory lock of one schema's migrations (not the daemon lock's key)."""


class SchemaTooNew(RuntimeError):
    """The database is at a revision this code does not know: a newer broadcastd made it."""

    def __init__(self, database: str, code: str) -> None:
        super().__init__(_(
            "schema revision {database} is newer than this broadcastd knows (its newest is "
            "{code}): a newer broadcastd upgraded this database. Fix: install that newer "
            "broadcastd again, or restore the backup made before the upgrade"
        ).format(database=database, code=code))
        self.database, self.code = database, code


class ForeignKeysBroken(RuntimeError):
    """A migration left rows pointing at nothing (SQLite checks after the fact)."""


@dataclass(frozen=True)
class Migration:
    """What an upgrade did: `before` None is an empty database; `legacy` one made before
    migrations (stamped at 0001 first); `fixes` what `upgrade.py` changed in it."""

    before: str | None
    after: str
    legacy: bool = False
    fixes: tuple[str, ...] = ()

    @property
    def changed(self) -> bool:
        return self.legacy or self.before != self.after


@dataclass(frozen=True)
class SchemaState:
    """Where a database stands: its revision (None: none recorded), whether it holds
    tables made before migrations, and the code's head."""

    revision: str | None
    legacy: bool
    head: str


def alembic_config(connection: Connection | None = None) -> Config:
    """Alembic's configuration, built in code (no alembic.ini): the migrations folder of
    the installed package, and the connection env.py runs them on."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    if connection is not None:
        config.attributes["connection"] = connection
    return config


@cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config())


def head() -> str:
    """The newest revision this code knows."""
    found = _scripts().get_current_head()
    assert found is not None, "no migrations in the package"
    return found


def known(revision: str) -> bool:
    return any(script.revision == revision for script in _scripts().walk_revisions())


def schema_state(conn: Connection) -> SchemaState:
    """Where the database on `conn` stands; reads only."""
    tables = set(inspect(conn).get_table_names())
    revision = (
        MigrationContext.configure(conn).get_current_revision()
        if VERSION_TABLE in tables else None
    )
    legacy = revision is None and bool(tables & set(baseline.metadata.tables))
    return SchemaState(revision, legacy, head())


def upgrade_to_head(engine: Engine) -> Migration:
    """Bring the database to `head()` in one transaction; raises SchemaTooNew (nothing
    done) when a newer broadcastd has upgraded it past what this code knows."""
    with _migration_transaction(engine) as conn:
        state = schema_state(conn)
        if state.revision is not None and not known(state.revision):
            raise SchemaTooNew(state.revision, state.head)
        fixes: list[str] = []
        if state.legacy:
            fixes = apply_fixes(conn)
            baseline.metadata.create_all(conn, checkfirst=True)
            command.stamp(alembic_config(conn), BASELINE)
        if state.legacy or state.revision != state.head:
            command.upgrade(alembic_config(conn), "head")
        _check_foreign_keys(conn)
    return Migration(state.revision, state.head, state.legacy, tuple(fixes))


@contextmanager
def _migration_transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction, alone on this database's schema while it lasts."""
    with engine.connect() as conn:
        sqlite = conn.dialect.name == "sqlite"
        if sqlite:  # only outside a transaction does SQLite take this pragma
            _driver_pragma(conn, "foreign_keys=OFF")
        try:
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    conn.execute(text(f"SELECT pg_advisory_xact_lock({LOCK_KEY})"))
                yield conn
        finally:
            if sqlite:
                _driver_pragma(conn, "foreign_keys=ON")


def _driver_pragma(conn: Connection, pragma: str) -> None:
    """A pragma through the driver, so SQLAlchemy does not begin a transaction for it."""
    driver = conn.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA {pragma}")


def _check_foreign_keys(conn: Connection) -> None:
    if conn.dialect.name != "sqlite":
        return  # PostgreSQL checked every row as it was written
    broken = conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if broken:
        raise ForeignKeysBroken(
            f"a migration left {len(broken)} rows whose foreign key points at nothing "
            f"(first: {tuple(broken[0])}); nothing was changed"
        )
