"""The `broadcastd` command: run, validate, status, token, simulate, audio."""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path

DEFAULT_CONFIG = Path(os.environ.get("BROADCASTD_CONFIG", "config/broadcastd.yaml"))


def _config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=DEFAULT_CONFIG,
        help=f"daemon configuration (default {DEFAULT_CONFIG}, or $BROADCASTD_CONFIG)",
    )


def build_parser() -> argparse.ArgumentParser:
    from broadcastd import __version__
    from broadcastd.access import cli as access_cli
    from broadcastd.audio import cli as audio_cli
    from broadcastd.simulate import cli as simulate_cli

    parser = argparse.ArgumentParser(
        prog="broadcastd", description="Scheduler daemon for commune loudspeaker clusters."
    )
    parser.add_argument("--version", action="version", version=f"broadcastd {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    run = commands.add_parser("run", help="run the daemon")
    _config_arg(run)
    run.add_argument(
        "--demo",
        action="store_true",
        help="also play today's slots as one-off demo slots starting within a minute",
    )
    run.add_argument(
        "--simulate",
        action="store_true",
        help="attach a simulated fleet of every cluster in the timetables (demo)",
    )
    run.add_argument(
        "--speed", type=float, default=30.0, help="simulated playback speed-up (with --simulate)"
    )
    run.set_defaults(handler=cmd_run)

    validate = commands.add_parser("validate", help="check timetables; exit 1 on errors")
    _config_arg(validate)
    validate.add_argument(
        "paths", nargs="*", type=Path, help="timetable files or folders (default: from config)"
    )
    validate.add_argument("--library", type=Path, help="audio library (default: from config)")
    validate.set_defaults(handler=cmd_validate)

    status = commands.add_parser("status", help="what played where, from a running daemon")
    _config_arg(status)
    status.add_argument("--url", help="daemon base URL (default: from config's http.listen)")
    status.add_argument(
        "--token-file",
        type=Path,
        help="file holding an API token (viewer or above); the safest way to give one",
    )
    status.add_argument(
        "--token",
        help="an API token (visible to other users in `ps`: prefer --token-file or "
        "$BROADCASTD_TOKEN)",
    )
    status.set_defaults(handler=cmd_status)

    token = commands.add_parser("token", help="API tokens: create, list, revoke")
    access_cli.register(token, _config_arg)
    token.set_defaults(handler=cmd_token)

    simulate_cli.register(commands)
    audio_cli.register(commands, find_uses=_find_audio_uses)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # Sub-commands registered by their own packages name their entry `handler` or `func`.
    handler = getattr(args, "handler", None) or args.func
    result: int = handler(args)
    return result


def _find_audio_uses(name: str) -> list[str]:
    from broadcastd.settings import load_settings
    from broadcastd.timetable.loader import find_uses

    settings = load_settings(DEFAULT_CONFIG) if DEFAULT_CONFIG.exists() else None
    folder = settings.paths.schedules if settings else Path("schedules")
    return find_uses([folder], name)


def cmd_run(args: argparse.Namespace) -> int:
    from broadcastd import logs
    from broadcastd.daemon.main import serve
    from broadcastd.daemon.runtime import Daemon, StartError
    from broadcastd.settings import SettingsError, load_settings

    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    logs.configure(settings.logging.level, settings.logging.format)
    daemon = Daemon(settings, demo=args.demo)
    stop = threading.Event()
    fleet = None

    def started() -> None:
        nonlocal fleet
        if args.simulate:
            from broadcastd.daemon.demo_fleet import attach_fleet

            fleet = attach_fleet(settings, daemon.state.timetables, speed=args.speed)

    def stopping() -> None:
        if fleet is not None:
            fleet.stop()

    try:
        serve(daemon, stop, on_started=started, on_stopping=stopping)
    except StartError as exc:
        print(exc, file=sys.stderr)
        return 1
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from broadcastd.settings import SettingsError, load_settings
    from broadcastd.timetable.report import validate

    paths: list[Path] = list(args.paths)
    library: Path | None = args.library
    if not paths or library is None:
        try:
            settings = load_settings(args.config)
        except SettingsError as exc:
            print(exc, file=sys.stderr)
            return 2
        paths = paths or [settings.paths.schedules]
        library = library or settings.paths.audio_library
    text, code = validate(paths, library, datetime.now(UTC))
    print(text)
    return code


def cmd_status(args: argparse.Namespace) -> int:
    from broadcastd.status_table import fetch_and_render

    url = args.url
    if url is None:
        from broadcastd.settings import SettingsError, load_settings

        try:
            settings = load_settings(args.config)
        except SettingsError as exc:
            print(exc, file=sys.stderr)
            return 2
        host = settings.http.host
        host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        url = f"http://{host}:{settings.http.port}"
    try:
        token = _status_token(args)
    except OSError as exc:
        print(f"cannot read the token file {args.token_file}: {exc.strerror}", file=sys.stderr)
        return 2
    text, code = fetch_and_render(url, token)
    print(text)
    return code


def _status_token(args: argparse.Namespace) -> str | None:
    """--token, else the --token-file's content, else $BROADCASTD_TOKEN, else none."""
    from broadcastd.status_table import TOKEN_ENV

    if args.token:
        token: str = args.token
        return token
    if args.token_file is not None:
        return str(args.token_file.read_text(encoding="utf-8").strip()) or None
    return os.environ.get(TOKEN_ENV) or None


def cmd_token(args: argparse.Namespace) -> int:
    from broadcastd.access import cli as access_cli
    from broadcastd.settings import SettingsError, load_settings

    try:
        settings = load_settings(args.config)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return 2
    return access_cli.run(args, settings.database.url)
