"""What the scheduler would record, built for tests."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from broadcastd.contract import Ack
from broadcastd.store import BroadcastRecord

SLOT_START = datetime(2026, 11, 28, 22, 30, tzinfo=UTC)  # 05:30 in Mạn Lạn, 29 November
STORED_AT = datetime(2026, 11, 28, 22, 31, tzinfo=UTC)
CLUSTERS = ("ban-na-hu", "ban-coc", "ban-lung")


def morning(commune: str = "man-lan", day: int = 29) -> BroadcastRecord:
    start = SLOT_START + timedelta(days=day - 29)
    return BroadcastRecord(
        broadcast_id=f"{commune}/morning/2026-11-{day:02d}",
        commune=commune,
        slot="morning",
        date=date(2026, 11, day),
        title="Bản tin sáng",
        start=start,
        end=start + timedelta(minutes=30),
        priority=0,
        volume=80,
        send_at=start - timedelta(minutes=2),
    )


def ack(
    state: str,
    item: int | None = None,
    broadcast_id: str = "man-lan/morning/2026-11-29",
    seconds: int = 0,
) -> Ack:
    return Ack(broadcast_id, state, SLOT_START + timedelta(seconds=seconds), item=item)
