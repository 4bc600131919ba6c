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
    ), "en")
    rows = {line.split()[0]: line for line in table.splitlines()[2:]}
    assert "playing" in rows["loa-01"]
    assert "missed (never acked)" in rows["loa-02"] and "pending" not in rows["loa-02"]
    assert rows["loa-03"].split()[5] == "played"
    assert rows["loa-04"].split()[4:6] == ["-", "-"]


def test_timetable_problems_come_before_the_long_table() -> None:
    problem = "schedules/man-lan.yaml:84: slots -> evening -> end: `end` is missing"
    shown = render({**status(*[last("playing")] * 22), "problems": [problem]}, "en").splitlines()
    assert shown[0].startswith("PROBLEMS")
    assert shown[1].strip() == problem


def test_the_table_speaks_vietnamese_by_default() -> None:
    problem = "schedules/man-lan.yaml:84: slots -> evening -> end: thiếu `end`"
    table = render({
        **status(last("playing"), last("pending", "missed", "never acked"), None),
        "problems": [problem],
    }).splitlines()
    assert table[0] == (
        "LỖI (các lịch phát đang áp dụng được giữ nguyên cho đến khi sửa xong):"
    )
    assert table[1].strip() == problem
    assert table[3] == "man-lan  Mạn Lạn  (Asia/Ho_Chi_Minh): 3/3 cụm loa đang kết nối"
    assert table[4].split()[:4] == ["CỤM", "LOA", "KHU", "KẾT"]
    rows = {line.split()[0]: line for line in table[5:]}
    assert "đang phát" in rows["loa-01"] and " có " in rows["loa-01"]
    assert "không phát (never acked)" in rows["loa-02"]
    assert "chưa bao giờ" in rows["loa-03"]


def test_a_province_is_one_line_a_commune_with_what_needs_a_look() -> None:
    summed = {"communes": [
        {"commune": "na-hang", "name": "Nà Hang", "timezone": "Asia/Ho_Chi_Minh", "owner": None,
         "counts": {"online": 20, "clusters": 22}, "attention": 2, "clusters": None,
         "last_broadcast": {"broadcast_id": "na-hang/morning/2026-11-29", "phase": "ended",
                            "states": {"finished": 20, "pending": 2},
                            "outcomes": {"played": 20, "missed": 2}}},
        {"commune": "man-lan", "name": "Mạn Lạn", "timezone": "Asia/Ho_Chi_Minh", "owner": None,
         "counts": {"online": 22, "clusters": 22}, "attention": 0, "clusters": None,
         "last_broadcast": None},
    ]}
    table = render(summed, "en").splitlines()
    assert table[0].split()[:3] == ["COMMUNE", "ONLINE", "NEED"]
    assert table[1].split()[:5] == ["na-hang", "20/22", "2", "na-hang/morning/2026-11-29", "ended"]
    assert table[1].endswith("played 20, missed 2")
    assert table[2].split() == ["man-lan", "22/22", "0", "-", "-", "-"]
