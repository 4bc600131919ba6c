"""`broadcastd token create | list | revoke`: API tokens, in the daemon's own database.

Run on the server, next to the daemon (it may be running: SQLite takes both). The
token is printed once, alone on stdout, so a script can capture it; only its digest
is kept, so a lost token is revoked and made anew.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from broadcastd.access.roles import Role
from broadcastd.access.tokens import TokenNameError, check_token_name, new_token, token_digest

if TYPE_CHECKING:
    from sqlalchemy import Engine


def register(
    token: argparse.ArgumentParser, config_arg: Callable[[argparse.ArgumentParser], None]
) -> None:
    """Sub-commands under the `token` parser; `config_arg` adds cli.py's `--config`, so
    the database is the one the daemon's configuration names."""
    actions = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = actions.add_parser(
        "create", help="make a token; prints it once, alone on stdout"
    )
    create.add_argument("--name", required=True, help="who holds it, e.g. district-script")
    create.add_argument(
        "--role",
        required=True,
        choices=[role.value for role in Role],
        help="viewer: read; operator: also cancel; admin: also manage tokens",
    )
    listing = actions.add_parser("list", help="name, role, created, last used (never the token)")
    revoke = actions.add_parser("revoke", help="the token stops working at once")
    revoke.add_argument("name")
    for action in (create, listing, revoke):
        config_arg(action)


def run(args: argparse.Namespace, database_url: str) -> int:
    from broadcastd.store.engine import make_engine

    engine = make_engine(database_url)
    try:
        if args.token_command == "create":
            return _create(engine, args.name, Role(args.role))
        if args.token_command == "list":
            return _list(engine)
        return _revoke(engine, args.name)
    finally:
        engine.dispose()


def _who() -> str:
    """The audit log's `by` for a change made from the command line."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli"


def _create(engine: Engine, name: str, role: Role) -> int:
    from broadcastd.store.access import DuplicateToken, add_token

    try:
        check_token_name(name)
    except TokenNameError as exc:
        print(exc, file=sys.stderr)
        return 2
    token = new_token()
    try:
        with engine.begin() as conn:
            add_token(conn, name, role.value, token_digest(token), datetime.now(UTC), _who())
    except DuplicateToken:
        print(
            f"a token named {name!r} exists already; pick another name, or "
            f"`broadcastd token revoke {name}` first to replace it",
            file=sys.stderr,
        )
        return 1
    print(token)
    print(
        f"token {name!r} ({role.value}) created; it is shown only this once: "
        "give it to its holder now",
        file=sys.stderr,
    )
    return 0


def _list(engine: Engine) -> int:
    from broadcastd.store.access import list_tokens

    with engine.connect() as conn:
        tokens = list_tokens(conn)
    if not tokens:
        print("no tokens; make one with `broadcastd token create --name NAME --role ROLE`")
        return 0
    rows = [("NAME", "ROLE", "CREATED", "LAST USED")]
    rows += [
        (t.name, t.role, _when(t.created_at), _when(t.last_used_at) if t.last_used_at else "never")
        for t in tokens
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
    return 0


def _revoke(engine: Engine, name: str) -> int:
    from broadcastd.store.access import remove_token

    with engine.begin() as conn:
        removed = remove_token(conn, name, datetime.now(UTC), _who())
    if not removed:
        print(f"no token named {name!r}; `broadcastd token list` shows them", file=sys.stderr)
        return 1
    print(f"token {name!r} revoked; requests with it now get 401")
    return 0


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
