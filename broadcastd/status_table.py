"""`broadcastd status`: the daemon's /status as a table a district operator can read,
in Vietnamese unless English is asked for (the daemon says its problems in the same
language: the request carries `?lang=`)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from broadcastd.i18n import DEFAULT, Language, _, pgettext, say
from broadcastd.reports.words import outcome_words

TOKEN_ENV = "BROADCASTD_TOKEN"


def fetch_and_render(
    base_url: str, token: str | None = None, timeout: float = 5.0, lang: Language = DEFAULT
) -> tuple[str, int]:
    """The table and an exit code: 0 ok, 1 when the daemon cannot be reached or refuses."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = httpx.get(
            f"{base_url.rstrip('/')}/status", params={"lang": lang}, headers=headers,
            timeout=timeout,
        )
    except httpx.HTTPError as exc:
        message = _(
            "cannot reach broadcastd at {url} ({error}). Is it running? "
            "Try `systemctl status broadcastd`, or pass --url."
        ).format(url=base_url, error=str(exc))
        return say(message, lang), 1
    if response.status_code in (401, 403):
        return say(
            refused(base_url, response.status_code, token is not None, _detail(response)), lang
        ), 1
    answered = _("broadcastd at {url} answered {code}: {detail}")
    if response.is_error:
        return say(
            answered.format(url=base_url, code=response.status_code, detail=_detail(response)),
            lang,
        ), 1
    return render(response.json(), lang), 0


def refused(base_url: str, code: int, sent_token: bool, detail: str) -> str:
    """What to do when the daemon wants a (better) token, in words."""
    if code == 403:
        return _(
            "broadcastd at {url} refused the token ({detail}). Ask an administrator "
            "for a token with role viewer or above."
        ).format(url=base_url, detail=detail)
    if sent_token:
        return _(
            "broadcastd at {url} does not know this token (revoked, or mistyped). "
            "On the server, `broadcastd token list` shows the valid ones; "
            "`broadcastd token create --name NAME --role viewer` makes a new one."
        ).format(url=base_url)
    return _(
        "broadcastd at {url} needs a token to read. Give one with --token-file FILE, "
        "${variable} or --token; on the server, "
        "`broadcastd token create --name NAME --role viewer` makes one."
    ).format(url=base_url, variable=TOKEN_ENV)


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    return str(detail) if detail else response.text[:200]


_HEADERS = (
    _("CLUSTER"), _("AREA"), _("ONLINE"), _("LAST SEEN"), _("LAST BROADCAST"), _("STATE"),
    _("SENDS"),
)

_STATES = {
    "pending": pgettext("delivery state", "pending"),
    "received": pgettext("delivery state", "received"),
    "ready": pgettext("delivery state", "ready"),
    "playing": pgettext("delivery state", "playing"),
    "suspended": pgettext("delivery state", "suspended"),
    "finished": pgettext("delivery state", "finished"),
    "stopped": pgettext("delivery state", "stopped"),
    "failed": pgettext("delivery state", "failed"),
}


def render(status: dict[str, Any], lang: Language = DEFAULT) -> str:
    """Problems first, where a 35-line table cannot push them off the screen; then each
    commune's clusters; then the refused messages. The problems come from the daemon,
    already in the language asked for."""
    lines: list[str] = []
    problems = status.get("problems") or []
    if problems:
        lines.append(say(
            _("PROBLEMS (the timetables in force stay until these are fixed):"), lang
        ))
        lines.extend(f"  {problem}" for problem in problems)
        lines.append("")
    for commune in status.get("communes", []):
        counts = commune["counts"]
        lines.append(say(
            _("{commune}  {name}  ({zone}): {online}/{clusters} clusters online").format(
                commune=commune["commune"], name=commune["name"], zone=commune["timezone"],
                online=counts["online"], clusters=counts["clusters"],
            ),
            lang,
        ))
        rows = [tuple(say(header, lang) for header in _HEADERS)]
        for cluster in commune["clusters"]:
            last = cluster.get("last_broadcast") or {}
            state = shown_state(last, lang)
            rows.append(
                (
                    cluster["cluster"],
                    cluster.get("area") or "",
                    say(_("yes") if cluster["online"] else _("NO"), lang),
                    _short_time(cluster.get("last_seen"), lang),
                    last.get("broadcast_id", "-"),
                    state or "-",
                    str(last.get("sends", "")),
                )
            )
        lines.extend(_table(rows))
        lines.append("")
    rejected = status.get("rejected") or []
    if rejected:
        lines.append(say(_("Refused messages:"), lang))
        lines.extend(f"  {item['reason']}: {item['count']}" for item in rejected)
    return "\n".join(lines).rstrip()


def shown_state(last: dict[str, Any], lang: Language = "en") -> str:
    """The last broadcast's state while it is on; once over, what the cluster did
    (`played`, `missed`, ...), never `pending`; with the why in brackets. The words of
    the outcomes are the reports' own."""
    outcome = last.get("outcome")
    if outcome:
        detail = last.get("outcome_detail")
        word = outcome_words(lang).get(str(outcome), str(outcome))
        word = word if lang == "en" else word.lower()
        return f"{word} ({detail})" if detail else word
    raw = str(last.get("state", ""))
    state = say(_STATES[raw], lang) if raw in _STATES else raw
    return f"{state} ({last['detail']})" if last.get("detail") else state


def _short_time(value: str | None, lang: Language) -> str:
    if not value:
        return str(say(_("never"), lang))
    return value.replace("T", " ")[:19]


def _table(rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return ["  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
            for row in rows]
