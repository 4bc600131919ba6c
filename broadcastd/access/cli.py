"""`broadcastd token create | list | revoke` (API tokens) and `broadcastd user add | list |
remove | passwd` (console users), in the daemon's own database.

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

    from broadcastd.i18n import Language


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
    engine = _engine(database_url, args.lang)
    try:
        if args.token_command == "create":
            return _create(engine, args.name, Role(args.role))
        if args.token_command == "list":
            return _list(engine)
        return _revoke(engine, args.name)
    finally:
        engine.dispose()


def _engine(database_url: str, lang: Language) -> Engine:
    """The daemon's database, upgraded as the daemon would; stdout stays the command's
    own (a created token alone on it), so an upgrade is said on stderr."""
    from broadcastd.store.cli import say_migration
    from broadcastd.store.engine import make_engine

    return make_engine(database_url, report=lambda done: say_migration(done, lang))


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
    _print_table(
        ("NAME", "ROLE", "CREATED", "LAST USED"),
        [(t.name, t.role, _when(t.created_at), _when_or_never(t.last_used_at)) for t in tokens],
    )
    return 0


def _print_table(head: tuple[str, ...], body: list[tuple[str, ...]]) -> None:
    rows = [head, *body]
    widths = [max(len(row[i]) for row in rows) for i in range(len(head))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())


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


def _when_or_never(moment: datetime | None) -> str:
    return _when(moment) if moment else "never"


ROLE_HELP = "viewer: read; operator: also cancel, stop, announce; admin: also manage"


def register_users(
    user: argparse.ArgumentParser, config_arg: Callable[[argparse.ArgumentParser], None]
) -> None:
    """Sub-commands under the `user` parser (console sign-in), like `register`'s."""
    actions = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="add a user who signs in to the console")
    add.add_argument("name", help="their sign-in name, e.g. van-hoa-man-lan")
    add.add_argument("--role", required=True, choices=[role.value for role in Role], help=ROLE_HELP)
    listing = actions.add_parser("list", help="name, role, created, last sign-in")
    remove = actions.add_parser("remove", help="the user can no longer sign in; sessions end")
    remove.add_argument("name")
    passwd = actions.add_parser("passwd", help="set a new password; the user's sessions end")
    passwd.add_argument("name")
    for action in (add, passwd):
        action.add_argument(
            "--password-stdin",
            action="store_true",
            help="read the password from the first line of stdin instead of a prompt",
        )
    for action in (add, listing, remove, passwd):
        config_arg(action)


def run_users(args: argparse.Namespace, database_url: str) -> int:
    engine = _engine(database_url, args.lang)
    try:
        if args.user_command == "add":
            return _add_user(engine, args.name, Role(args.role), args.password_stdin)
        if args.user_command == "list":
            return _list_users(engine)
        if args.user_command == "remove":
            return _remove_user(engine, args.name)
        return _passwd(engine, args.name, args.password_stdin)
    finally:
        engine.dispose()


class _NoPassword(Exception):
    """The password could not be had or is unusable; the message says why."""


def _read_password(from_stdin: bool) -> str:
    from broadcastd.access.passwords import PasswordError, check_password

    if from_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        try:
            password = getpass.getpass("Password: ")
            again = getpass.getpass("Password again: ")
        except (EOFError, KeyboardInterrupt) as exc:
            raise _NoPassword("no password given") from exc
        if password != again:
            raise _NoPassword("the two passwords differ; nothing changed")
    try:
        return check_password(password)
    except PasswordError as exc:
        raise _NoPassword(f"{exc}; nothing changed") from exc


def _add_user(engine: Engine, name: str, role: Role, from_stdin: bool) -> int:
    from broadcastd.access.passwords import hash_password
    from broadcastd.store.users import DuplicateUser, add_user

    try:
        check_token_name(name, "user", "van-hoa-man-lan")
        password = _read_password(from_stdin)
    except (TokenNameError, _NoPassword) as exc:
        print(exc, file=sys.stderr)
        return 2
    try:
        with engine.begin() as conn:
            add_user(conn, name, role.value, hash_password(password), datetime.now(UTC), _who())
    except DuplicateUser:
        print(
            f"a user named {name!r} exists already; `broadcastd user passwd {name}` sets "
            "a new password",
            file=sys.stderr,
        )
        return 1
    print(f"user {name!r} ({role.value}) added; they sign in at /login")
    return 0


def _list_users(engine: Engine) -> int:
    from broadcastd.store.users import list_users

    with engine.connect() as conn:
        users = list_users(conn)
    if not users:
        print("no users; add one with `broadcastd user add NAME --role ROLE`")
        return 0
    _print_table(
        ("NAME", "ROLE", "CREATED", "LAST SIGN-IN"),
        [(u.name, u.role, _when(u.created_at), _when_or_never(u.last_sign_in_at)) for u in users],
    )
    return 0


def _remove_user(engine: Engine, name: str) -> int:
    from broadcastd.store.users import remove_user

    with engine.begin() as conn:
        removed = remove_user(conn, name, datetime.now(UTC), _who())
    if not removed:
        print(f"no user named {name!r}; `broadcastd user list` shows them", file=sys.stderr)
        return 1
    print(f"user {name!r} removed; their sessions have ended")
    return 0


def _passwd(engine: Engine, name: str, from_stdin: bool) -> int:
    from broadcastd.access.passwords import hash_password
    from broadcastd.store.users import set_password

    try:
        password = _read_password(from_stdin)
    except _NoPassword as exc:
        print(exc, file=sys.stderr)
        return 2
    with engine.begin() as conn:
        changed = set_password(conn, name, hash_password(password), datetime.now(UTC), _who())
    if not changed:
        print(f"no user named {name!r}; `broadcastd user list` shows them", file=sys.stderr)
        return 1
    print(f"password of {name!r} changed; their sessions have ended")
    return 0
