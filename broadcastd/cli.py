"""The `broadcastd` command: run, validate, status, token, user, db, simulate, audio,
announce, stop, cancel."""

from __future__ import annotations

import argparse
import os
import sys
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from broadcastd.i18n import DEFAULT, LANGUAGES, _, from_environment, message_of, said_error, say

if TYPE_CHECKING:
    from broadcastd.audio.catalogue import AudioEntry, Catalogue
    from broadcastd.audio.importer import Replacement
    from broadcastd.settings import Settings
    from broadcastd.speech import Speaker

CONFIG_ENV = "BROADCASTD_CONFIG"
LOCAL_CONFIG = Path("config/broadcastd.yaml")
SYSTEM_CONFIG = Path("/etc/broadcastd/broadcastd.yaml")
# Exit status of a start that restarting cannot fix (a config error, a read-only
# database, another daemon on the same database): the unit's RestartPreventExitStatus=.
EXIT_SETUP = 2


@dataclass(frozen=True)
class ConfigChoice:
    path: Path
    source: str
    """Why this file: `--config`, `$BROADCASTD_CONFIG`, or the default place it was found."""


def find_config(
    explicit: Path | None,
    environ: Mapping[str, str] = os.environ,
    candidates: Sequence[Path] = (LOCAL_CONFIG, SYSTEM_CONFIG),
) -> ConfigChoice:
    """The configuration file, in this order: `--config`; `$BROADCASTD_CONFIG`;
    ./config/broadcastd.yaml (a source tree); /etc/broadcastd/broadcastd.yaml (what
    deploy/install.sh installs). A file named explicitly is used even when missing (the
    error then says so); of the default places, the first that exists."""
    if explicit is not None:
        return ConfigChoice(explicit, "--config")
    if environ.get(CONFIG_ENV):
        return ConfigChoice(Path(environ[CONFIG_ENV]), f"${CONFIG_ENV}")
    for candidate in candidates:
        if candidate.is_file():
            return ConfigChoice(candidate, "default")
    from broadcastd.settings import SettingsError

    looked = ", ".join(str(path) for path in candidates)
    raise SettingsError(_(
        "no configuration file: looked for {looked}. Fix: give one with --config FILE "
        "or ${variable}, or copy config/broadcastd.yaml to one of those places"
    ).format(looked=looked, variable=CONFIG_ENV))


def load_config(args: argparse.Namespace) -> Settings:
    """The settings every command uses (see `find_config`), saying on stderr which file
    they came from. Raises SettingsError (print it and exit `EXIT_SETUP`)."""
    from broadcastd.settings import load_settings

    choice = find_config(getattr(args, "config", None))
    source = _("default") if choice.source == "default" else choice.source
    said = _("broadcastd: config {file} ({source})").format(file=str(choice.path), source=source)
    print(say(said, getattr(args, "lang", None) or DEFAULT), file=sys.stderr)
    return load_settings(choice.path)


def _config_arg(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        type=Path,
        default=None,
        help=f"daemon configuration (default: ${CONFIG_ENV}, else {LOCAL_CONFIG}, "
        f"else {SYSTEM_CONFIG})",
    )


def build_parser() -> argparse.ArgumentParser:
    from broadcastd import __version__
    from broadcastd.access import cli as access_cli
    from broadcastd.announce import cli as announce_cli
    from broadcastd.audio import cli as audio_cli
    from broadcastd.simulate import cli as simulate_cli
    from broadcastd.store import cli as store_cli

    parser = argparse.ArgumentParser(
        prog="broadcastd", description="Scheduler daemon for commune loudspeaker clusters."
    )
    parser.add_argument("--version", action="version", version=f"broadcastd {__version__}")
    parser.add_argument(
        "--lang",
        choices=LANGUAGES,
        default=None,
        help="language of messages: vi (default) or en; else $BROADCASTD_LANG, else "
        "$LC_ALL/$LC_MESSAGES/$LANG (en_* gives English)",
    )
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
    daemon_args(status, "viewer")
    status.add_argument(
        "--commune", help="this commune's clusters (default: every commune summed up; the "
        "clusters too when the daemon has only one commune)",
    )
    status.set_defaults(handler=cmd_status)

    token = commands.add_parser("token", help="API tokens: create, list, revoke")
    access_cli.register(token, _config_arg)
    token.set_defaults(handler=cmd_token)

    user = commands.add_parser("user", help="console users: add, list, remove, passwd")
    access_cli.register_users(user, _config_arg)
    user.set_defaults(handler=cmd_token)

    db = commands.add_parser("db", help="the database's schema: upgrade, current")
    store_cli.register(db, _config_arg)
    db.set_defaults(handler=cmd_db)

    simulate_cli.register(commands)
    announce_cli.register(commands, daemon_args)
    audio_cli.register(commands, find_uses=_find_audio_uses, speaker=_speaker,
                       replacement=_audio_replacement)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    # One language for this run, chosen once and handed to the commands in `args`.
    args.lang = from_environment(args.lang)
    # Sub-commands registered by their own packages name their entry `handler` or `func`.
    handler = getattr(args, "handler", None) or args.func
    result: int = handler(args)
    return result


def _found_settings(config: Path | None = None) -> Settings:
    """The settings of the config `find_config` finds, else the defaults: the audio
    commands take no --config and work without one."""
    from broadcastd.settings import Settings, SettingsError, load_settings

    try:
        return load_settings(find_config(config).path)
    except SettingsError:
        return Settings()


def _find_audio_uses(name: str) -> list[str]:
    from broadcastd.timetable.loader import find_uses

    return find_uses([_found_settings().paths.schedules], name)


def _audio_replacement(library: Path) -> Replacement:
    """`audio add --replace`: the config's timetables checked with the new recording
    (their `text:` items spoken, as `validate` does), and the old file kept for the
    config's lead time plus 24 hours (see broadcastd/audio/retired.py)."""
    from broadcastd.audio.importer import Replacement
    from broadcastd.audio.retired import retention
    from broadcastd.speech import speaker_from_settings, text_lengths
    from broadcastd.timetable.swap import swap_problems

    settings = _found_settings()
    speak = text_lengths(speaker_from_settings(settings.tts, library))

    def check(catalogue: Catalogue, entry: AudioEntry) -> list[str]:
        found = swap_problems([settings.paths.schedules], catalogue, entry, speak)
        return [problem.text() for problem in found]  # each said in the reader's language

    return Replacement(check, retention(settings.delivery.lead_time_s))


def _speaker(library: Path, config: Path | None = None) -> Speaker:
    """The speaker of `audio say` and `validate`: `tts:` of the config when one is
    found, else espeak-ng's Vietnamese voice."""
    from broadcastd.speech import speaker_from_settings

    return speaker_from_settings(_found_settings(config).tts, library)


DEMO_DETAIL = ("broadcastd.delivery", "broadcastd.simulate")
"""Loggers whose per-cluster debug lines the demo shows."""


def cmd_run(args: argparse.Namespace) -> int:
    from broadcastd import logs
    from broadcastd.daemon.main import serve
    from broadcastd.daemon.runtime import Daemon, StartError
    from broadcastd.service import memory
    from broadcastd.settings import SettingsError
    from broadcastd.simulate.fleet import Fleet

    memory.limit_arenas()  # before any thread starts
    try:
        settings = load_config(args)
    except SettingsError as exc:
        print(said_error(exc, args.lang), file=sys.stderr)
        return EXIT_SETUP
    logs.configure(
        settings.logging.level, settings.logging.format, zone=settings.logging.timezone,
        # The demo shows each play, fetch and ack, as the README describes.
        detailed=DEMO_DETAIL if args.demo or args.simulate else (),
    )
    fleet: Fleet | None = None

    def attach(daemon: Daemon) -> None:
        # Before the first plays: a simulated cluster holds a clean session, so a play
        # sent before it subscribed never reaches it and would need a resend.
        nonlocal fleet
        if args.simulate:
            from broadcastd.daemon.demo_fleet import attach_fleet

            fleet = attach_fleet(daemon, speed=args.speed)

    def stopping() -> None:
        if fleet is not None:
            fleet.stop()

    daemon = Daemon(settings, demo=args.demo, before_scheduling=attach)
    stop = threading.Event()
    try:
        serve(daemon, stop, on_stopping=stopping)
    except StartError as exc:
        if fleet is not None:
            fleet.stop()
        print(said_error(exc, args.lang), file=sys.stderr)
        return EXIT_SETUP if exc.permanent else 1
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    from broadcastd.settings import SettingsError
    from broadcastd.speech import speaker_from_settings, text_lengths
    from broadcastd.timetable.report import validate

    paths: list[Path] = list(args.paths)
    library: Path | None = args.library
    speaker: Speaker | None = None
    if not paths or library is None:
        try:
            settings = load_config(args)
        except SettingsError as exc:
            print(said_error(exc, args.lang), file=sys.stderr)
            return EXIT_SETUP
        paths = paths or [settings.paths.schedules]
        library = library or settings.paths.audio_library
        speaker = speaker_from_settings(settings.tts, library)
    speaker = speaker or _speaker(library, args.config)
    text, code = validate(paths, library, datetime.now(UTC), text_lengths(speaker), args.lang)
    print(text)
    return code


def daemon_args(parser: argparse.ArgumentParser, role: str) -> None:
    """--config, --url, --token-file and --token: how a command reaches the running
    daemon's HTTP API with a token of `role` or above."""
    _config_arg(parser)
    parser.add_argument("--url", help="daemon base URL (default: from config's http.listen)")
    parser.add_argument(
        "--token-file",
        type=Path,
        help=f"file holding an API token ({role} or above); the safest way to give one",
    )
    parser.add_argument(
        "--token",
        help="an API token (visible to other users in `ps`: prefer --token-file or "
        "$BROADCASTD_TOKEN)",
    )


@dataclass(frozen=True)
class DaemonAccess:
    url: str
    token: str | None


class AccessError(Exception):
    """The daemon's URL or the token cannot be had; `code` is the exit status."""

    def __init__(self, message: str, code: int) -> None:
        super().__init__(message)
        self.code = code


def daemon_access(args: argparse.Namespace) -> DaemonAccess:
    """The daemon's base URL (--url, else the config's http.listen) and the token
    (--token, else --token-file's content, else $BROADCASTD_TOKEN, else none)."""
    from broadcastd.settings import SettingsError

    url = args.url
    if url is None:
        try:
            settings = load_config(args)
        except SettingsError as exc:
            raise AccessError(message_of(exc), EXIT_SETUP) from exc
        host = settings.http.host
        host = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        scheme = "https" if settings.http.tls else "http"
        url = f"{scheme}://{host}:{settings.http.port}"
    try:
        token = _api_token(args)
    except OSError as exc:
        raise AccessError(
            _("cannot read the token file {file}: {reason}").format(
                file=str(args.token_file), reason=exc.strerror
            ),
            2,
        ) from exc
    return DaemonAccess(url, token)


def cmd_status(args: argparse.Namespace) -> int:
    from broadcastd.status_table import fetch_and_render

    try:
        access = daemon_access(args)
    except AccessError as exc:
        print(said_error(exc, args.lang), file=sys.stderr)
        return exc.code
    text, code = fetch_and_render(access.url, access.token, lang=args.lang, commune=args.commune)
    print(text)
    return code


def _api_token(args: argparse.Namespace) -> str | None:
    """--token, else the --token-file's content, else $BROADCASTD_TOKEN, else none."""
    from broadcastd.status_table import TOKEN_ENV

    if args.token:
        token: str = args.token
        return token
    if args.token_file is not None:
        return str(args.token_file.read_text(encoding="utf-8").strip()) or None
    return os.environ.get(TOKEN_ENV) or None


def cmd_db(args: argparse.Namespace) -> int:
    """`db upgrade` and `db current`, on the database the configuration names."""
    from broadcastd.settings import SettingsError
    from broadcastd.store import cli as store_cli

    try:
        settings = load_config(args)
    except SettingsError as exc:
        print(said_error(exc, args.lang), file=sys.stderr)
        return EXIT_SETUP
    return store_cli.run(args, settings.database.url)


def cmd_token(args: argparse.Namespace) -> int:
    """`token ...` and `user ...`: both work on the database the configuration names."""
    from broadcastd.access import cli as access_cli
    from broadcastd.settings import SettingsError

    try:
        settings = load_config(args)
    except SettingsError as exc:
        print(said_error(exc, args.lang), file=sys.stderr)
        return EXIT_SETUP
    from broadcastd.store.migrate import SchemaTooNew

    try:
        if args.command == "user":
            return access_cli.run_users(args, settings.database.url)
        return access_cli.run(args, settings.database.url)
    except SchemaTooNew as exc:  # the daemon would refuse this database too
        print(said_error(exc, args.lang), file=sys.stderr)
        return EXIT_SETUP

