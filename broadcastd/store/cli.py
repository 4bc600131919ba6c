"""`broadcastd db upgrade | current`: the database's schema revision against the code's.

The daemon upgrades its database at start anyway; `db upgrade` does it on purpose (after
a backup, before starting the new version) and `db current` only looks. Exit status of
`current`: 0 at the code's head, 1 when an upgrade is due, 2 when the database is newer
than the code (the daemon refuses to start on it), 3 when it cannot be read.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from broadcastd.i18n import Language, _, say

if TYPE_CHECKING:
    from broadcastd.store.migrate import Migration

EXIT_BEHIND = 1
EXIT_TOO_NEW = 2
EXIT_UNREADABLE = 3


def register(
    db: argparse.ArgumentParser, config_arg: Callable[[argparse.ArgumentParser], None]
) -> None:
    """Sub-commands under the `db` parser; the database is the one the config names."""
    actions = db.add_subparsers(dest="db_command", required=True, metavar="ACTION")
    upgrade = actions.add_parser(
        "upgrade", help="bring the database's schema to this version's (back it up first)"
    )
    current = actions.add_parser(
        "current", help="the database's schema revision and this version's; changes nothing"
    )
    for action in (upgrade, current):
        config_arg(action)


def run(args: argparse.Namespace, database_url: str) -> int:
    from sqlalchemy.engine import make_url

    shown = make_url(database_url).render_as_string(hide_password=True)
    if args.db_command == "upgrade":
        return _upgrade(database_url, shown, args.lang)
    return _current(database_url, shown, args.lang)


def _upgrade(url: str, shown: str, lang: Language) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from broadcastd.store.engine import store_engine
    from broadcastd.store.migrate import SchemaTooNew, upgrade_to_head

    engine = store_engine(url)
    try:
        migration = upgrade_to_head(engine)
    except SchemaTooNew as exc:
        print(say(_("database {url}: {problem}").format(url=shown, problem=exc.args[0]), lang),
              file=sys.stderr)
        return EXIT_TOO_NEW
    except SQLAlchemyError as exc:  # the reason, not a traceback; the transaction rolled back
        print(say(_("database {url}: not upgraded, nothing changed ({reason})").format(
            url=shown, reason=_first_line(exc)), lang), file=sys.stderr)
        return EXIT_BEHIND
    finally:
        engine.dispose()
    if not migration.changed:
        said = _("database {url}: already at schema revision {revision}; nothing to do").format(
            url=shown, revision=migration.after
        )
    else:
        said = _("database {url}: schema upgraded from {before} to {after}").format(
            url=shown, before=_revision_name(migration.before, migration.legacy),
            after=migration.after,
        )
    print(say(said, lang))
    for fix in migration.fixes:
        print(f"  {fix}")
    return 0


def _current(url: str, shown: str, lang: Language) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from broadcastd.store.engine import store_engine
    from broadcastd.store.lock import sqlite_file
    from broadcastd.store.migrate import head, known, schema_state

    database = sqlite_file(url)
    if database is not None and not database.exists():
        print(say(_("database {url}: no such file yet; the daemon creates it at start").format(
            url=shown), lang))
        print(say(_("this broadcastd: schema {head}").format(head=head()), lang))
        return EXIT_BEHIND
    engine = store_engine(url)
    try:
        with engine.connect() as conn:
            state = schema_state(conn)
    except SQLAlchemyError as exc:  # the reason, not a traceback, for a command people type
        print(say(_("database {url}: cannot be read ({reason})").format(
            url=shown, reason=_first_line(exc)), lang), file=sys.stderr)
        return EXIT_UNREADABLE
    finally:
        engine.dispose()
    print(say(_("database {url}: schema {revision}").format(
        url=shown, revision=_revision_name(state.revision, state.legacy)), lang))
    print(say(_("this broadcastd: schema {head}").format(head=state.head), lang))
    if state.revision == state.head:
        return 0
    if state.revision is not None and not known(state.revision):
        print(say(_(
            "the database is newer than this broadcastd: the daemon will not start on it. "
            "Fix: install the newer broadcastd, or restore a backup"
        ), lang), file=sys.stderr)
        return EXIT_TOO_NEW
    print(say(_(
        "an upgrade is due: back the database up, then run `broadcastd db upgrade` "
        "(the daemon also does it at start)"
    ), lang))
    return EXIT_BEHIND


def say_migration(migration: Migration, lang: Language) -> None:
    """An upgrade made by another command (token, user), on stderr; nothing when none."""
    if migration.changed:
        said = _("database schema upgraded from {before} to {after}").format(
            before=_revision_name(migration.before, migration.legacy), after=migration.after
        )
        print(say(said, lang), file=sys.stderr)


def _first_line(exc: Exception) -> str:
    return str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]


def _revision_name(revision: str | None, legacy: bool) -> str:
    if revision is not None:
        return revision
    return _("none (made before migrations)") if legacy else _("none (empty database)")
