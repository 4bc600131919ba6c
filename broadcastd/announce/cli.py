"""`broadcastd announce`, `broadcastd stop`, `broadcastd cancel`: through the running
daemon's HTTP API (the URL and token as `broadcastd status` finds them), then follow the
broadcast live until its end: how many clusters received it, play it, are missing.
Everything is said in Vietnamese unless English is asked for (`--lang en`); the
daemon's refusals too, since each request carries `?lang=`.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx

from broadcastd.i18n import DEFAULT, Language, Text, _, message_of, say
from broadcastd.timetable.priority import CLASSES

DaemonArgs = Callable[[argparse.ArgumentParser, str], None]
FINAL = ("finished", "stopped", "failed")
POLL_S = 1.0


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def register(commands: Any, daemon_args: DaemonArgs) -> None:
    announce = commands.add_parser(
        "announce",
        help="play an announcement now (or at a time) on some or all clusters",
        description="Sends POST /announcements to the running daemon (operator token), "
        "prints the broadcast id, then follows it until its end.",
    )
    daemon_args(announce, "operator")
    announce.add_argument("--commune", required=True, help="commune id, e.g. man-lan")
    where = announce.add_argument_group("target (default: every cluster of the commune)")
    where.add_argument("--areas", type=_names, default=[], help="area ids, comma-separated")
    where.add_argument("--clusters", type=_names, default=[], help="cluster ids, comma-separated")
    what = announce.add_argument_group(
        "what plays, in this order: audio, then text, then the stream"
    )
    what.add_argument(
        "--audio", type=_names, default=[], help="library names, comma-separated"
    )
    what.add_argument(
        "--text",
        action="append",
        default=[],
        help="a written notice the server speaks (after the audio); repeat for several",
    )
    what.add_argument("--stream", help="http(s) URL of a live stream, played to the end")
    what.add_argument("--fallback", help="library name played while the stream is down")
    when = announce.add_argument_group("when (default: --now)")
    start = when.add_mutually_exclusive_group()
    start.add_argument(
        "--now", action="store_true", help="a few seconds from now (files fetched first)"
    )
    start.add_argument("--at", help='HH:MM[:SS] today (commune time), or ISO 8601 with offset')
    length = when.add_mutually_exclusive_group()
    length.add_argument("--until", help="end, like --at")
    length.add_argument("--duration", type=float, help="length in seconds")
    words = ", ".join(CLASSES)
    announce.add_argument(
        "--priority", default="emergency", help=f"{words}, or 0-100 (default: emergency)"
    )
    announce.add_argument("--volume", type=int, default=100, help="0-100 (default: 100)")
    announce.add_argument("--title", default="", help="what people call it")
    announce.add_argument("--reason", help="why; kept in the audit log")
    _no_wait(announce)
    announce.set_defaults(handler=cmd_announce)

    stop = commands.add_parser(
        "stop", help="stop a broadcast on some clusters (or all, which cancels it)"
    )
    daemon_args(stop, "operator")
    stop.add_argument("broadcast_id", metavar="ID")
    stop.add_argument("--clusters", type=_names, default=[], help="cluster ids, comma-separated")
    stop.add_argument("--reason", help="why; kept in the audit log")
    _no_wait(stop)
    stop.set_defaults(handler=cmd_stop)

    cancel = commands.add_parser("cancel", help="cancel a broadcast (stop it everywhere)")
    daemon_args(cancel, "operator")
    cancel.add_argument("broadcast_id", metavar="ID")
    cancel.add_argument("--reason", help="why; kept in the audit log")
    cancel.set_defaults(handler=cmd_cancel, no_wait=True)


def _no_wait(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-wait", action="store_true", help="print the id and return; do not follow"
    )


def announcement_body(args: argparse.Namespace) -> dict[str, Any]:
    """The JSON of POST /announcements from the command line."""
    items: list[dict[str, Any]] = [{"audio": name} for name in args.audio]
    items += [{"text": text} for text in args.text]
    if args.stream:
        stream: dict[str, Any] = {"stream": args.stream}
        if args.fallback:
            stream["fallback"] = args.fallback
        items.append(stream)
    target: Any = "all"
    if args.areas or args.clusters:
        target = {"areas": args.areas, "clusters": args.clusters}
    priority: Any = int(args.priority) if args.priority.isdigit() else args.priority
    body: dict[str, Any] = {
        "commune": args.commune,
        "target": target,
        "priority": priority,
        "items": items,
        "start": args.at or "now",
        "volume": args.volume,
        "title": args.title,
    }
    if args.until:
        body["end"] = args.until
    if args.duration is not None:
        body["duration_s"] = args.duration
    if args.reason:
        body["reason"] = args.reason
    return body


class Refused(Exception):
    """The daemon could not be reached or said no: the message says what to do."""


def _lang(args: argparse.Namespace) -> Language:
    lang: Language = getattr(args, "lang", None) or DEFAULT
    return lang


def _access(args: argparse.Namespace) -> tuple[str, dict[str, str]]:
    from broadcastd.cli import AccessError, daemon_access

    try:
        access = daemon_access(args)
    except AccessError as exc:
        raise Refused(message_of(exc)) from exc
    headers = {"Authorization": f"Bearer {access.token}"} if access.token else {}
    return access.url.rstrip("/"), headers


def _call(
    method: str, url: str, headers: dict[str, str], body: Any = None, lang: Language = DEFAULT
) -> Any:
    try:
        response = httpx.request(
            method, url, headers=headers, json=body, params={"lang": lang}, timeout=10.0
        )
    except httpx.HTTPError as exc:
        raise Refused(_(
            "cannot reach broadcastd at {url} ({error}). Is it running? "
            "Try `systemctl status broadcastd`, or pass --url."
        ).format(url=url, error=str(exc))) from exc
    if response.is_success:
        return response.json()
    raise Refused(explain(response.status_code, _detail(response), bool(headers)))


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        return response.text[:300]
    if isinstance(detail, list):  # pydantic's list of problems
        return "; ".join(
            f"{'.'.join(str(p) for p in problem.get('loc', [])[1:])}: {problem.get('msg')}"
            for problem in detail
        )
    return str(detail)


def explain(code: int, detail: str, sent_token: bool) -> Text:
    """What the daemon's refusal means, for the person at the terminal."""
    if code == 401 and not sent_token:
        return _(
            "this needs an operator token: give --token-file FILE, $BROADCASTD_TOKEN or "
            "--token; on the server, `broadcastd token create --name NAME --role operator` "
            "makes one"
        )
    if code == 401:
        return _(
            "the daemon does not know this token (revoked, or mistyped); on the server, "
            "`broadcastd token list` shows the valid ones"
        )
    if code == 403:
        return _("refused: {detail}. Ask an administrator for a token with role operator").format(
            detail=detail
        )
    if code == 422:
        return _("refused, nothing was sent: {detail}").format(detail=detail)
    return _("the daemon answered {code}: {detail}").format(code=code, detail=detail)


def _fail(message: str, lang: Language = DEFAULT) -> int:
    print(f"broadcastd: {say(message, lang)}", file=sys.stderr)
    return 1


def _refused(exc: Refused, lang: Language) -> int:
    return _fail(exc.args[0] if exc.args else str(exc), lang)


def cmd_announce(args: argparse.Namespace) -> int:
    lang = _lang(args)
    if not args.audio and not args.text and not args.stream:
        return _fail(_('nothing to play: give --audio NAME, --text "...", and/or --stream URL'),
                     lang)
    if args.fallback and not args.stream:
        return _fail(_("--fallback goes with --stream"), lang)
    try:
        base, headers = _access(args)
        made = _call("POST", f"{base}/announcements", headers, announcement_body(args), lang)
    except Refused as exc:
        return _refused(exc, lang)
    print(made["broadcast_id"])
    print("  " + say(_("{start} to {end}, {clusters} clusters").format(
        start=made["start"], end=made["end"], clusters=len(made["clusters"])), lang),
        file=sys.stderr)
    return 0 if args.no_wait else follow(base, headers, made["broadcast_id"], lang)


def cmd_stop(args: argparse.Namespace) -> int:
    lang = _lang(args)
    body: dict[str, Any] = {"clusters": args.clusters or None, "reason": args.reason}
    try:
        base, headers = _access(args)
        result = _call(
            "POST", f"{base}/broadcasts/{args.broadcast_id}/stop", headers, body, lang
        )
    except Refused as exc:
        return _refused(exc, lang)
    print(result["broadcast_id"])
    print(f"  {result['message']}", file=sys.stderr)
    return 0 if args.no_wait else follow(base, headers, args.broadcast_id, lang)


def cmd_cancel(args: argparse.Namespace) -> int:
    lang = _lang(args)
    try:
        base, headers = _access(args)
        result = _call(
            "POST", f"{base}/broadcasts/{args.broadcast_id}/cancel", headers,
            {"reason": args.reason}, lang,
        )
    except Refused as exc:
        return _refused(exc, lang)
    print(result["broadcast_id"])
    print(f"  {result['message']}", file=sys.stderr)
    return 0


_COUNTED = {
    "suspended": _("suspended {n}"),
    "finished": _("finished {n}"),
    "stopped": _("stopped {n}"),
    "failed": _("failed {n}"),
}


def summary(broadcast: dict[str, Any], lang: Language = "en") -> str:
    """`received 2 · playing 1 · missing 0 (of 2)`, plus `suspended`/`stopped`... when
    some are."""
    clusters = broadcast["clusters"]
    states = [c["state"] for c in clusters]
    received = sum(state != "pending" for state in states)
    parts = [
        _("received {n}").format(n=received),
        _("playing {n}").format(n=states.count("playing")),
        _("missing {n}").format(n=states.count("pending")),
    ]
    parts += [_COUNTED[s].format(n=states.count(s)) for s in ("suspended", *FINAL) if s in states]
    line: str = say(_("{parts} (of {n})").format(
        parts=" · ".join(say(part, lang) for part in parts), n=len(clusters)), lang)
    return line


def follow(base: str, headers: dict[str, str], broadcast_id: str, lang: Language = DEFAULT) -> int:
    """Print the clusters' states whenever they change, until the broadcast ends."""
    last = ""
    try:
        while True:
            try:
                broadcast = _call("GET", f"{base}/broadcasts/{broadcast_id}", headers, lang=lang)
            except Refused as exc:
                return _refused(exc, lang)
            line = summary(broadcast, lang)
            if line != last:
                print(f"{time.strftime('%H:%M:%S')}  {line}", flush=True)
                last = line
            if broadcast["phase"] == "ended" or broadcast["cancelled"]:
                ended = _("ended") if not broadcast["cancelled"] else _("cancelled")
                print(say(ended, lang), flush=True)
                return 0
            time.sleep(POLL_S)
    except KeyboardInterrupt:
        print(say(_("stopped following; the broadcast goes on"), lang), file=sys.stderr)
        return 130
