"""The cluster and timetable pages' view models, at chosen instants, from plain inputs."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from broadcastd.api import present
from broadcastd.api.deps import Topology
from broadcastd.api.models import ClusterStatus
from broadcastd.api.views import CommuneTopology, DayChangeView, OccurrenceView, PlannedItem
from broadcastd.console.cluster_model import cluster_page
from broadcastd.console.timetable_model import clock, target_names, timetable_page
from broadcastd.console.words import words
from broadcastd.store import BroadcastView, DeliveryView
from broadcastd.store.cluster_queries import PresenceChange
from broadcastd.store.outcomes import DeliveryOutcome, Outcome

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
FILE = "/srv/broadcastd/schedules/man-lan.yaml"
MAN_LAN = CommuneTopology(
    commune="man-lan", name="Xã Mạn Lạn", timezone="Asia/Ho_Chi_Minh",
    areas={"khu-1": ["loa-01", "loa-02"], "khu-2": ["loa-03"], "khu-3": ["loa-04"]},
    area_names={"khu-1": "Khu 1", "khu-2": "Khu 2", "khu-3": "Khu 3"}, file=FILE,
)
KHAI_XUAN = CommuneTopology(
    commune="khai-xuan", name="Xã Khải Xuân", timezone="Asia/Ho_Chi_Minh",
    areas={"khu-a": ["kx-01"]}, file="/srv/broadcastd/schedules/khai-xuan.yaml",
)
NOW = datetime(2026, 11, 29, 4, 0, tzinfo=HANOI)  # a Sunday, before the morning slot
VI, EN = words("vi"), words("en")


def view(broadcast_id: str, start: datetime, cancelled: bool = False) -> BroadcastView:
    return BroadcastView(
        broadcast_id=broadcast_id, commune="man-lan", slot=broadcast_id.split("/")[1],
        date=start.astimezone(HANOI).date(), title="Bản tin sáng", start=start,
        end=start + timedelta(minutes=30), priority=0, volume=80,
        send_at=start - timedelta(minutes=2), created_at=start,
        cancelled_at=start if cancelled else None,
    )


def delivery(broadcast_id: str, state: str | None) -> DeliveryView:
    return DeliveryView(
        broadcast_id=broadcast_id, cluster="loa-03", sends=1, first_sent_at=None,
        last_sent_at=None, last_send_outcome="published", published_at=None,
        last_state=state, last_state_at=None, last_item=None, last_detail=None,
    )


def test_the_cluster_page_shows_presence_history_and_each_broadcasts_outcome() -> None:
    topology = Topology([MAN_LAN])
    status = ClusterStatus(
        cluster="loa-03", area="khu-2", online=True,
        last_seen=datetime(2026, 11, 29, 5, 40, 2, tzinfo=HANOI),
        online_changed_at=datetime(2026, 11, 29, 5, 1, tzinfo=HANOI),
        firmware="2.3.1", volume=70, last_broadcast=None,
    )
    history = [
        PresenceChange(True, datetime(2026, 11, 28, 22, 1, tzinfo=UTC)),
        PresenceChange(False, datetime(2026, 11, 28, 21, 0, tzinfo=UTC)),
    ]
    today = view("man-lan/morning/2026-11-29", datetime(2026, 11, 29, 5, 30, tzinfo=HANOI))
    before = view("man-lan/morning/2026-11-28", datetime(2026, 11, 28, 5, 30, tzinfo=HANOI))
    moment = datetime(2026, 11, 29, 5, 40, tzinfo=HANOI)  # today's is on, yesterday's over
    broadcasts = [
        present.broadcast(today, {"loa-03": delivery(today.broadcast_id, "playing")},
                          topology, moment, {"loa-03": None}),
        present.broadcast(before, {"loa-03": delivery(before.broadcast_id, "finished")},
                          topology, moment,
                          {"loa-03": DeliveryOutcome(Outcome.partial, "item 2 not heard")}),
    ]
    page = cluster_page(MAN_LAN, status, history, broadcasts, HANOI, VI, "vi")

    assert (page.area, page.online, page.state) == ("Khu 2", True, "đang kết nối")
    assert (page.firmware, page.volume) == ("2.3.1", "70")
    assert page.since == "2026-11-29 05:01:00" and page.last_seen == "2026-11-29 05:40:02"
    assert [(h.word, h.at) for h in page.history] == [
        ("đã kết nối", "2026-11-29 05:01:00"), ("mất kết nối", "2026-11-29 04:00:00"),
    ]
    assert [(b.broadcast_id, b.cell.key, b.cell.word) for b in page.broadcasts] == [
        ("man-lan/morning/2026-11-29", "playing", "Đang phát"),
        ("man-lan/morning/2026-11-28", "partial", "Phát một phần"),
    ]
    assert page.broadcasts[1].cell.detail == "item 2 not heard"
    assert (page.broadcasts[0].day, page.broadcasts[0].start) == ("2026-11-29", "05:30")


def test_a_cluster_never_heard_from_says_so() -> None:
    status = ClusterStatus(cluster="loa-04", area="khu-3", online=False, last_seen=None,
                           online_changed_at=None, firmware=None, volume=None,
                           last_broadcast=None)
    page = cluster_page(MAN_LAN, status, [], [], HANOI, EN, "en")
    assert (page.state, page.since, page.last_seen) == ("offline", "never", "never")
    assert (page.firmware, page.volume, page.history, page.broadcasts) == ("—", "—", [], [])


def occurrence(slot: str, day: date, hour: int, clusters: list[str],
               priority: int = 0) -> OccurrenceView:
    start = datetime.combine(day, datetime.min.time(), tzinfo=HANOI) + timedelta(hours=hour)
    return OccurrenceView(
        broadcast_id=f"man-lan/{slot}/{day.isoformat()}", commune="man-lan", slot=slot,
        title=slot.title(), start=start, end=start + timedelta(minutes=30), clusters=clusters,
        priority=priority, volume=80, items=["nhac-hieu", "http://relay.example/live"],
        playlist=[PlannedItem("nhac-hieu", "Nhạc hiệu", 185.4),
                  PlannedItem("http://relay.example/live", "", 3725)],
    )


def test_the_week_ahead_by_day_with_targets_by_name_exceptions_and_problems() -> None:
    sunday = NOW.date()
    monday = sunday + timedelta(days=1)
    upcoming = [
        occurrence("morning", sunday, 5, ["loa-01", "loa-02", "loa-03", "loa-04"]),
        occurrence("tiem-chung", monday, 7, ["loa-01", "loa-02", "loa-04"], priority=100),
        occurrence("evening", monday, 17, ["loa-03"]),
    ]
    changes = [DayChangeView("man-lan", monday, ["Bản tin sáng"], ["tiem-chung"], "Tiêm chủng"),
               DayChangeView("man-lan", monday, [], [], None, ["evening"])]
    problems = [f"{FILE}:12: slots -> 0 -> start: 25:00 is not a time. Fix: write HH:MM",
                "/srv/broadcastd/schedules/khai-xuan.yaml:3: areas: ..."]
    page = timetable_page([MAN_LAN, KHAI_XUAN], "man-lan", upcoming,
                          {"man-lan/morning/2026-11-29"}, changes, problems, NOW, VI)

    assert page.problems == problems[:1]  # only the chosen commune's file
    assert page.choices == [("man-lan", "Xã Mạn Lạn"), ("khai-xuan", "Xã Khải Xuân")]
    [week] = page.weeks
    assert [(d.weekday, d.day, d.today) for d in week.days[:2]] == [
        ("Chủ Nhật", "2026-11-29", True), ("Thứ Hai", "2026-11-30", False),
    ]
    assert len(week.days) == 7 and week.days[-1].weekday == "Thứ Bảy"
    first = week.days[0].slots[0]
    assert (first.time, first.everywhere, first.cancelled) == ("05:00–05:30", True, True)
    assert first.target == ["Khu 1", "Khu 2", "Khu 3"]
    assert [(i.title, i.length) for i in first.items] == [("Nhạc hiệu", "3:05"), ("", "1:02:05")]
    added = week.days[1].slots[0]
    assert (added.added, added.everywhere, added.priority) == (True, False, "khẩn cấp")
    assert added.target == ["Khu 1", "Khu 3"]
    assert (added.replaced, week.days[1].slots[1].replaced) == (False, True)
    skip, own = week.days[1].notes
    assert (skip.skipped, skip.added, skip.note) == (["Bản tin sáng"], ["tiem-chung"], "Tiêm chủng")
    assert (own.replaced, own.note) == (["Evening"], "")
    assert week.days[2].slots == [] and week.days[2].notes == []


def test_every_commune_and_every_problem_when_none_is_chosen() -> None:
    problems = ["/elsewhere/broken.yaml: left out until its errors are fixed"]
    page = timetable_page([MAN_LAN, KHAI_XUAN], "", [], set(), [], problems, NOW, EN)
    assert [w.commune for w in page.weeks] == ["man-lan", "khai-xuan"]
    assert page.problems == problems
    assert page.weeks[0].days[0].weekday == "Sunday"


def test_targets_name_whole_areas_then_single_clusters() -> None:
    assert target_names(MAN_LAN, ["loa-01", "loa-03"]) == (False, ["Khu 2", "loa-01"])
    assert target_names(KHAI_XUAN, ["kx-01"]) == (True, ["khu-a"])  # no name: its id
    assert (clock(59.6), clock(60), clock(3600)) == ("1:00", "1:00", "1:00:00")
