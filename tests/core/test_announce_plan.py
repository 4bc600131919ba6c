"""An announcement request as an occurrence: ids, times, items and every refusal."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from broadcastd.announce import AnnouncementRefused, AnnouncementRequest, to_occurrence
from broadcastd.i18n import untranslated
from broadcastd.timetable.model import Timetable

# 14:30:00.4 in Hanoi.
NOW = datetime(2026, 11, 29, 7, 30, 0, 400000, tzinfo=UTC)
LIBRARY = {"canh-bao-lu": 42.3, "nhac-nen": 180.0}
TIMETABLE = Timetable.model_validate(
    {
        "commune": {"id": "man-lan", "name": "Xã Mạn Lạn"},
        "areas": [
            {"id": "khu-7", "name": "Khu 7", "clusters": ["loa-13", "loa-14"]},
            {"id": "khu-8", "name": "Khu 8", "clusters": ["loa-15"]},
        ],
    }
)


def occurrence(taken: set[str] | None = None, **fields: Any) -> Any:
    request = AnnouncementRequest.model_validate(
        {"commune": "man-lan", "items": [{"audio": "canh-bao-lu"}], **fields}
    )
    return to_occurrence(
        request, [TIMETABLE], LIBRARY.get, NOW, lead_s=5,
        taken=lambda base: base in (taken or set()),
    )


def refusal(**fields: Any) -> str:
    with pytest.raises(AnnouncementRefused) as caught:
        occurrence(**fields)
    return str(caught.value)


def test_now_is_the_lead_ahead_in_whole_seconds_and_lasts_the_items() -> None:
    occ = occurrence(target={"areas": ["khu-7"]}, priority="emergency", title="Cảnh báo lũ")
    assert occ.start == datetime(2026, 11, 29, 14, 30, 6, tzinfo=occ.start.tzinfo)
    assert occ.start.utcoffset() == timedelta(hours=7)
    assert (occ.end - occ.start).total_seconds() == 43  # 42.3 s, rounded up
    assert occ.broadcast_id == "man-lan/announce-143006/2026-11-29"
    assert occ.clusters == ("loa-13", "loa-14")
    assert (occ.priority, occ.volume, occ.title) == (100, 100, "Cảnh báo lũ")


def test_a_taken_id_gets_a_suffix() -> None:
    taken = {"man-lan/announce-143006/2026-11-29", "man-lan/announce-143006-2/2026-11-29"}
    assert occurrence(taken).broadcast_id == "man-lan/announce-143006-3/2026-11-29"


def test_times_of_day_iso_times_end_and_duration() -> None:
    occ = occurrence(start="14:45", end="14:50")
    assert (occ.start.hour, occ.start.minute, occ.end.minute) == (14, 45, 50)
    occ = occurrence(start="2026-11-29T08:00:00+00:00", duration_s=600)
    assert occ.start.hour == 15 and occ.end - occ.start == timedelta(minutes=10)
    assert occurrence(priority=50).priority == 50
    assert occurrence(priority="routine").priority == 0


def test_a_stream_without_duration_plays_to_the_end() -> None:
    occ = occurrence(items=[{"audio": "canh-bao-lu"}, {"stream": "http://relay/live"}],
                     duration_s=600)
    assert occ.playlist[1].stream == "http://relay/live"
    assert occ.playlist[1].duration_s == pytest.approx(600 - 42.3)


def test_a_stream_carries_its_fallback_from_the_library() -> None:
    occ = occurrence(items=[{"stream": "http://relay/live", "fallback": "nhac-nen"}],
                     duration_s=300)
    assert (occ.playlist[0].stream, occ.playlist[0].fallback) == ("http://relay/live", "nhac-nen")


@pytest.mark.parametrize(
    ("fields", "words"),
    [
        ({"start": "14:00"}, "already past"),
        ({"start": "2026-11-29T07:00:00+00:00"}, "already past"),
        ({"commune": "xa-khac"}, "man-lan"),
        ({"target": {"areas": ["khu-9"]}}, "khu-7"),
        ({"target": {"clusters": ["loa-99"]}}, "loa-13"),
        ({"items": [{"audio": "khong-co"}]}, "broadcastd audio list"),
        ({"items": [{"stream": "http://relay/live", "fallback": "khong-co"}],
          "duration_s": 60}, "khong-co"),
        ({"start": "15:00", "end": "14:59"}, "not after the start"),
        ({"items": [{"stream": "http://relay/live"}]}, "duration_s"),
        ({"items": [{"stream": "http://relay/live"}, {"audio": "canh-bao-lu"}],
          "duration_s": 60}, "last item"),
        ({"start": "2026-11-29T15:00:00"}, "offset"),
        ({"start": "soon"}, "now"),
    ],
)
def test_refusals_say_why_and_what_to_change(fields: dict[str, Any], words: str) -> None:
    message = refusal(**fields)
    assert words in message and "Fix:" in message
    with pytest.raises(AnnouncementRefused) as caught:
        occurrence(**fields)
    said = caught.value.said("vi")
    assert "Cách sửa: " in said and "Fix:" not in said
    assert untranslated(caught.value.reason, "vi") == untranslated(caught.value.fix, "vi") == []


def test_a_refusal_in_vietnamese() -> None:
    with pytest.raises(AnnouncementRefused) as caught:
        occurrence(target={"areas": ["khu-9"]})
    assert caught.value.said("vi").startswith(
        "xã man-lan không có khu khu-9. Cách sửa: dùng các khu của xã: khu-7, khu-8"
    )
    with pytest.raises(AnnouncementRefused) as caught:
        occurrence(start="14:00")
    assert caught.value.said("vi") == (
        "giờ bắt đầu 14:00:00 (2026-11-29) đã qua: ở xã bây giờ là 14:30:00. "
        'Cách sửa: viết "now", hoặc một giờ muộn hơn'
    )


@pytest.mark.parametrize(
    "fields",
    [{"priority": "urgent"}, {"priority": 101}, {"priority": True}, {"items": []},
     {"end": "15:00", "duration_s": 60}, {"target": {}}, {"volume": 120}],
)
def test_malformed_requests_are_refused_by_the_model(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        occurrence(**fields)
