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
    base_url: str, token: str | None = None, timeout: float = 5.0, lang: Language = DEFAULT,
    commune: str | None = None,
) -> tuple[str, int]:
    """The table and an exit code: 0 ok, 1 when the daemon cannot be reached or refuses.

    Every commune summed up; with `commune` (or when the daemon has only one), that
    commune's clusters, every page of them."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    url = f"{base_url.rstrip('/')}/status"
    try:
        with httpx.Client(headers=headers, timeout=timeout) as client:
            answer, failed = _get(client, url, base_url, token, lang, commune=commune)
            if answer is None:
                return failed, 1
            communes = answer.get("communes", [])
            if commune is None and len(communes) == 1 and communes[0].get("clusters") is None:
                commune = communes[0]["commune"]
                answer, failed = _get(client, url, base_url, token, lang, commune=commune)
                if answer is None:
                    return failed, 1
    except httpx.HTTPError as exc:
        message = _(
            "cannot reach broadcastd at {url} ({error}). Is it running? "
            "Try `systemctl status broadcastd`, or pass --url."
        ).format(url=base_url, error=str(exc))
        return say(message, lang), 1
    return render(answer, lang), 0


PAGE = 1000


def _get(client: httpx.Client, url: str, base_url: str, token: str | None, lang: Language,
         commune: str | None) -> tuple[dict[str, Any] | None, str]:
    """/status (every page of `commune`'s clusters), or None and why not."""
    params: dict[str, Any] = {"lang": lang}
    if commune is not None:
        params.update(commune=commune, limit=PAGE)
    answer: dict[str, Any] | None = None
    page = 1
    while True:
        response = client.get(url, params={**params, "page": page})
        if response.status_code in (401, 403):
            return None, say(
                refused(base_url, response.status_code, token is not None, _detail(response)),
                lang,
            )
        if response.is_error:
            answered = _("broadcastd at {url} answered {code}: {detail}")
            return None, say(
                answered.format(url=base_url, code=response.status_code,
                                detail=_detail(response)),
                lang,
            )
        got: dict[str, Any] = response.json()
        if answer is None:
            answer = got
        else:
            answer["communes"][0]["clusters"].extend(got["communes"][0]["clusters"])
        pages = (got["communes"][0].get("cluster_page") or {}).get("pages", 1) if commune else 1
        if page >= pages:
            return answer, ""
        page += 1


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
    summed = [c for c in status.get("communes", []) if c.get("clusters") is None]
    if summed:
        lines.extend(_summary(summed, lang))
        lines.append("")
    for commune in status.get("communes", []):
        if commune.get("clusters") is None:
            continue
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


_SUMMARY_HEADERS = (
    _("COMMUNE"), _("ONLINE"), _("NEED A LOOK"), _("LAST BROADCAST"), _("PHASE"), _("CLUSTERS"),
)


def _summary(communes: list[dict[str, Any]], lang: Language) -> list[str]:
    """One line a commune, those that need a look first (as the daemon orders them)."""
    owners = any(commune.get("owner") for commune in communes)
    headers = [say(header, lang) for header in _SUMMARY_HEADERS]
    if owners:
        headers.append(say(_("OWNER"), lang))
    rows = [tuple(headers)]
    for commune in communes:
        counts = commune["counts"]
        last = commune.get("last_broadcast") or {}
        row = [
            commune["commune"],
            f"{counts['online']}/{counts['clusters']}",
            str(commune.get("attention", 0)),
            last.get("broadcast_id", "-"),
            say(_PHASES[last["phase"]], lang) if last.get("phase") in _PHASES else "-",
            _spread(last.get("outcomes") or {}, last.get("states") or {}, lang),
        ]
        if owners:
            row.append((commune.get("owner") or {}).get("daemon") or "-")
        rows.append(tuple(row))
    return _table(rows)


_PHASES = {
    "scheduled": pgettext("broadcast phase", "scheduled"),
    "live": pgettext("broadcast phase", "on air"),
    "ended": pgettext("broadcast phase", "ended"),
}


def _spread(outcomes: dict[str, int], states: dict[str, int], lang: Language) -> str:
    """`played 20, missed 2`: outcomes once over (the reports' words), else states."""
    named = outcome_words(lang) if outcomes else {
        state: say(word, lang) for state, word in _STATES.items()}
    words = []
    for name, count in sorted((outcomes or states).items(), key=lambda item: -item[1]):
        word = named.get(name, name)
        words.append(f"{word if lang == 'en' else word.lower()} {count}")
    return ", ".join(words) or "-"


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
