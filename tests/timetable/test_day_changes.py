"""The dated exceptions a week ahead shows: skipped slots by title, added slots by id,
slots with their own playlist that day by id."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from broadcastd.planning.exceptions import DayChange, day_changes
from broadcastd.timetable.model import Timetable
from broadcastd.timetable.source import read_yaml

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
TEXT = """\
commune: {id: man-lan, name: "Xã Mạn Lạn"}
areas: [{id: khu-1, name: "Khu 1", clusters: [loa-01]}]
slots:
  - id: morning
    title: "Bản tin sáng"
    start: "05:30"
    end: "06:00"
    playlist: [{stream: "http://relay.example/live", duration_s: 1700}]
    on:
      - {date: 2026-12-02, note: "Bầu cử", playlist: [{stream: "http://relay.example/b", duration_s: 60}]}
      - {date: 2026-12-01, playlist: [{stream: "http://relay.example/b", duration_s: 60}]}
exceptions:
  - {date: 2026-12-01, note: "Họp thôn", skip: [morning]}
  - date: 2026-11-30
    add:
      - {id: tiem-chung, start: "07:00", end: "07:10",
         playlist: [{stream: "http://relay.example/health", duration_s: 500}]}
  - {date: 2026-12-09, skip: [morning]}
"""


def test_the_exceptions_of_the_local_days_a_window_touches_in_date_order() -> None:
    data, _ = read_yaml(TEXT)
    timetable = Timetable.model_validate(data)
    # 23:00 UTC on the 29th is already the 30th in Hà Nội; a week on is the 7th.
    since = datetime(2026, 11, 29, 17, 0, tzinfo=ZoneInfo("UTC"))
    until = datetime(2026, 12, 7, 0, 0, tzinfo=HANOI)
    assert day_changes(timetable, since, until) == [
        DayChange("man-lan", date(2026, 11, 30), (), ("tiem-chung",), None),
        DayChange("man-lan", date(2026, 12, 1), ("Bản tin sáng",), (), "Họp thôn"),
        # the 1st's own playlist is not listed: the slot is skipped that day
        DayChange("man-lan", date(2026, 12, 2), (), (), "Bầu cử", ("morning",)),
    ]
    later = datetime(2026, 12, 3, tzinfo=HANOI)
    assert day_changes(timetable, later, until) == []
