"""`broadcastd status`: a broadcast that is over shows what each cluster did."""

from __future__ import annotations

from typing import Any

from broadcastd.status_table import render


def status(*lasts: dict[str, Any] | None) -> dict[str, Any]:
    clusters = [
        {"cluster": f"loa-0{n}", "area": "khu-1", "online": True, "last_seen": None,
         "last_broadcast": last}
        for n, last in enumerate(lasts, 1)
    ]
    return {"communes": [{"commune": "man-lan", "name": "Mạn Lạn", "timezone": "Asia/Ho_Chi_Minh",
                          "counts": {"online": len(lasts), "clusters": len(lasts)},
                          "clusters": clusters}]}


def last(state: str, outcome: str | None = None, detail: str | None = None) -> dict[str, Any]:
    return {"broadcast_id": "man-lan/morning/2026-11-29", "state": state, "detail": "",
            "sends": 1, "outcome": outcome, "outcome_detail": detail}


def test_the_outcome_replaces_the_state_once_the_broadcast_is_over() -> None:
    table = render(status(
        last("playing"),
        last("pending", "missed", "never acked"),
        last("finished", "played", ""),
        None,
    ))
    rows = {line.split()[0]: line for line in table.splitlines()[2:]}
    assert "playing" in rows["loa-01"]
    assert "missed (never acked)" in rows["loa-02"] and "pending" not in rows["loa-02"]
    assert rows["loa-03"].split()[5] == "played"
    assert rows["loa-04"].split()[4:6] == ["-", "-"]


def test_timetable_problems_come_before_the_long_table() -> None:
    problem = "schedules/man-lan.yaml:84: slots -> evening -> end: `end` is missing"
    shown = render({**status(*[last("playing")] * 22), "problems": [problem]}).splitlines()
    assert shown[0].startswith("PROBLEMS")
    assert shown[1].strip() == problem
