"""Pure pieces of delivery and the demo switch, at chosen instants."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from broadcastd.delivery.policy import ResendPolicy
from broadcastd.planning import plan
from broadcastd.planning.demo import demo_timetable
from broadcastd.timetable.model import Timetable

START = datetime(2026, 11, 29, 5, 30, tzinfo=UTC)


def test_resend_waits_grow_and_are_capped() -> None:
    policy = ResendPolicy(first_after_s=15, factor=2, max_delay_s=100)
    assert [policy.delay_after(sends) for sends in range(1, 6)] == [15, 30, 60, 100, 100]


def test_no_resend_is_planned_past_the_end() -> None:
    policy = ResendPolicy(first_after_s=15)
    end = START + timedelta(seconds=20)
    assert policy.next_resend(START, 1, end) == START + timedelta(seconds=15)
    assert policy.next_resend(START + timedelta(seconds=10), 1, end) is None


def timetable() -> Timetable:
    return Timetable.model_validate(
        {
            "commune": {"id": "man-lan", "name": "Xã Mạn Lạn"},
            "areas": [{"id": "khu-1", "name": "Khu 1", "clusters": ["loa-01"]}],
            "slots": [
                {"id": "morning", "start": "05:30", "end": "06:00",
                 "playlist": [{"audio": "nhac-hieu"}]},
                {"id": "evening", "days": ["sat"], "start": "17:00", "end": "18:15",
                 "playlist": [{"audio": "nhac-hieu"}]},
            ],
        }
    )


def test_the_demo_plays_every_slot_within_minutes_of_now() -> None:
    now = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)  # 09:00 in Hanoi, a Sunday
    demo = demo_timetable(timetable(), now)
    upcoming = plan([demo], now, now + timedelta(minutes=10))
    assert [occ.slot for occ in upcoming] == ["demo-0900-morning", "demo-0902-evening"]
    first, second = upcoming
    assert first.start == now + timedelta(seconds=30)
    assert first.end - first.start == timedelta(minutes=2)  # capped
    assert second.start >= first.end
    # The real slots are untouched.
    assert [slot.id for slot in demo.slots] == ["morning", "evening"]
