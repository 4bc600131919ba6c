"""A real PostgreSQL for the tests: one fresh database per test session, one schema per test.

The server is the machine's (`BROADCASTD_TEST_POSTGRES`, default the trust-auth cluster
on 127.0.0.1:5432 that `.ci/run` provides). The session's database is created through the
maintenance database and dropped at the end, so runs never see each other's rows; each
test gets its own schema in it (the URL sets `search_path`), which costs milliseconds
where a database would cost a second.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

SERVER = os.environ.get(
    "BROADCASTD_TEST_POSTGRES", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
HOW_TO_PROVIDE = (
    "Fix: start PostgreSQL on 127.0.0.1:5432 with a `postgres` role that may create "
    "databases (`.ci/run` does it), or set BROADCASTD_TEST_POSTGRES to a maintenance-database "
    "URL such as postgresql+psycopg://user@host:5432/postgres"
)


class PostgresUnavailable(RuntimeError):
    """No PostgreSQL to test on; the message says which server and how to provide one."""


class PostgresDatabase:
    """A database made for this test session; `schema()` gives each test its own corner."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._engine: Engine = create_engine(url, isolation_level="AUTOCOMMIT")

    @contextmanager
    def schema(self) -> Iterator[str]:
        """A URL whose tables live in a new, empty schema, dropped after the test."""
        name = f"t_{uuid.uuid4().hex[:12]}"
        with self._engine.connect() as conn:
            conn.execute(text(f"CREATE SCHEMA {name}"))
        try:
            yield make_url(self.url).update_query_dict(
                {"options": f"-csearch_path={name}"}
            ).render_as_string(hide_password=False)
        finally:
            with self._engine.connect() as conn:
                conn.execute(text(f"DROP SCHEMA {name} CASCADE"))

    def close(self) -> None:
        self._engine.dispose()


@contextmanager
def session_database(server: str = SERVER) -> Iterator[PostgresDatabase]:
    """A fresh `broadcastd_test_<random>` database, dropped (connections and all) at the end."""
    admin = create_engine(
        server, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5}
    )
    name = f"broadcastd_test_{uuid.uuid4().hex[:10]}"
    try:
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE {name}"))
    except OperationalError as exc:
        admin.dispose()
        where = make_url(server).render_as_string(hide_password=True)
        raise PostgresUnavailable(
            f"PostgreSQL at {where} cannot be reached or cannot create a database "
            f"({str(exc.orig).strip().splitlines()[0]}). {HOW_TO_PROVIDE}"
        ) from exc
    database = PostgresDatabase(make_url(server).set(database=name).render_as_string(
        hide_password=False
    ))
    try:
        yield database
    finally:
        database.close()
        with admin.connect() as conn:
            conn.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        admin.dispose()
