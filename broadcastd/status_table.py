"""`broadcastd status`: the daemon's /status as a table a district operator can read."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

TOKEN_ENV = "BROADCASTD_TOKEN"


def fetch_and_render(
    base_url: str, token: str | None = None, timeout: float = 5.0
) -> tuple[str, int]:
    """The table and an exit code: 0 ok, 1 when the daemon cannot be reached or refuses."""
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = httpx.get(f"{base_url.rstrip('/')}/status", headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        message = (
            f"cannot reach broadcastd at {base_url} ({exc}). Is it running? "
            "Try `systemctl status broadcastd`, or pass --url."
        )
        return message, 1
    if response.status_code in (401, 403):
        return refused(base_url, response.status_code, token is not None, _detail(response)), 1
    if response.is_error:
        return f"broadcastd at {base_url} answered {response.status_code}: {_detail(response)}", 1
    return render(response.json()), 0


def refused(base_url: str, code: int, sent_token: bool, detail: str) -> str:
    """What to do when the daemon wants a (better) token, in words."""
    if code == 403:
        return (
            f"broadcastd at {base_url} refused the token ({detail}). Ask an administrator "
            "for a token with role viewer or above."
        )
    if sent_token:
        return (
            f"broadcastd at {base_url} does not know this token (revoked, or mistyped). "
            "On the server, `broadcastd token list` shows the valid ones; "
            "`broadcastd token create --name NAME --role viewer` makes a new one."
        )
    return (
        f"broadcastd at {base_url} needs a token to read. Give one with --token-file FILE, "
        f"${TOKEN_ENV} or --token; on the server, "
        "`broadcastd token create --name NAME --role viewer` makes one."
    )


def _detail(response: httpx.Response) -> str:
    try:
        detail = response.json().get("detail")
    except ValueError:
        detail = None
    return str(detail) if detail else response.text[:200]


def render(status: dict[str, Any]) -> str:
    """Problems first, where a 35-line table cannot push them off the screen; then each
    commune's clusters; then the refused messages."""
    lines: list[str] = []
    problems = status.get("problems") or []
    if problems:
        lines.append("PROBLEMS (the timetables in force stay until these are fixed):")
        lines.extend(f"  {problem}" for problem in problems)
        lines.append("")
    for commune in status.get("communes", []):
        counts = commune["counts"]
        lines.append(
            f"{commune['commune']}  {commune['name']}  ({commune['timezone']}): "
            f"{counts['online']}/{counts['clusters']} clusters online"
        )
        rows = [("CLUSTER", "AREA", "ONLINE", "LAST SEEN", "LAST BROADCAST", "STATE", "SENDS")]
        for cluster in commune["clusters"]:
            last = cluster.get("last_broadcast") or {}
            state = shown_state(last)
            rows.append(
                (
                    cluster["cluster"],
                    cluster.get("area") or "",
                    "yes" if cluster["online"] else "NO",
                    _short_time(cluster.get("last_seen")),
                    last.get("broadcast_id", "-"),
                    state or "-",
                    str(last.get("sends", "")),
                )
            )
        lines.extend(_table(rows))
        lines.append("")
    rejected = status.get("rejected") or []
    if rejected:
        lines.append("Refused messages:")
        lines.extend(f"  {item['reason']}: {item['count']}" for item in rejected)
    return "\n".join(lines).rstrip()


def shown_state(last: dict[str, Any]) -> str:
    """The last broadcast's state while it is on; once over, what the cluster did
    (`played`, `missed`, ...), never `pending`; with the why in brackets."""
    outcome = last.get("outcome")
    if outcome:
        detail = last.get("outcome_detail")
        return f"{outcome} ({detail})" if detail else str(outcome)
    state = str(last.get("state", ""))
    return f"{state} ({last['detail']})" if last.get("detail") else state


def _short_time(value: str | None) -> str:
    if not value:
        return "never"
    return value.replace("T", " ")[:19]


def _table(rows: Sequence[tuple[str, ...]]) -> list[str]:
    widths = [max(len(row[column]) for row in rows) for column in range(len(rows[0]))]
    return ["  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
            for row in rows]
