"""The words the console's pages show, Vietnamese first, English on request.

One place for them; the outcome words are the reports' (`reports.words`), so a page and
a downloaded report never call the same thing by two names.
"""

from __future__ import annotations

from broadcastd.reports.words import LANGS, OUTCOME_WORDS, Lang
from broadcastd.store.outcomes import Outcome

__all__ = ["CELL_KEYS", "LANGS", "SYMBOLS", "Lang", "cell_word", "lang_of", "legend", "words"]

LANG_COOKIE = "lang"

CELL_KEYS = (
    "pending", "playing", "suspended", *(o.value for o in Outcome),
)
"""What a cell of the Today page can show: a state while the broadcast is on, its
outcome once over."""

SYMBOLS: dict[str, str] = {
    "pending": "…",
    "playing": "▶",
    "suspended": "‖",
    Outcome.played: "✓",
    Outcome.partial: "◐",
    Outcome.missed: "✗",
    Outcome.preempted: "⇥",
    Outcome.cancelled: "⊘",
    Outcome.failed: "⚠",
}
"""A sign beside each colour: a cell never says what it means by colour alone."""

_STATES: dict[Lang, dict[str, str]] = {
    "vi": {"pending": "Chờ phát", "playing": "Đang phát", "suspended": "Tạm dừng"},
    "en": {"pending": "pending", "playing": "playing", "suspended": "suspended"},
}

_PAGE: dict[Lang, dict[str, str]] = {
    "vi": {
        "app": "Hệ thống phát thanh",
        "today": "Hôm nay",
        "report_csv": "Báo cáo CSV",
        "report_xlsx": "Báo cáo XLSX",
        "sign_out": "Đăng xuất",
        "signed_in_as": "Người dùng",
        "main_nav": "Trang chính",
        "skip": "Tới nội dung chính",
        "language": "Ngôn ngữ",
        "problems": "Lịch phát có lỗi",
        "no_broadcasts": "Hôm nay không có buổi phát nào.",
        "area": "Khu",
        "cluster": "Cụm loa",
        "offline": "mất kết nối",
        "legend": "Chú giải",
        "updated": "Cập nhật lúc",
        "broadcast": "Buổi phát",
        "start": "Bắt đầu",
        "end": "Kết thúc",
        "priority": "Mức ưu tiên",
        "target": "Cụm loa nhận",
        "playlist": "Danh sách phát",
        "history": "Lịch sử thay đổi",
        "by": "Người làm",
        "action": "Việc",
        "reason": "Lý do",
        "at": "Lúc",
        "outcome": "Kết quả",
        "acks": "Báo nhận của cụm loa",
        "state": "Trạng thái",
        "item": "Mục",
        "stop": "Dừng phát",
        "stop_all": "Dừng trên tất cả cụm loa",
        "stop_chosen": "Chỉ dừng trên các cụm loa đã chọn",
        "stop_button": "Dừng phát",
        "cancelled": "Đã hủy",
        "cancelled_by": "Hủy bởi",
        "not_found": "Không có buổi phát này.",
        "back": "Về trang Hôm nay",
        "stopped": "Đã gửi lệnh dừng.",
        "none": "—",
        "roles.viewer": "xem",
        "roles.operator": "điều hành",
        "roles.admin": "quản trị",
        "priority.routine": "thường",
        "priority.priority": "ưu tiên",
        "priority.emergency": "khẩn cấp",
        # cluster and timetable pages
        "commune": "Xã",
        "online": "đang kết nối",
        "since": "từ",
        "never": "chưa có",
        "last_seen": "Liên lạc lần cuối",
        "firmware": "Phần mềm",
        "volume": "Âm lượng",
        "last_broadcasts": "Các buổi phát gần đây",
        "online_history": "Lịch sử kết nối",
        "came_online": "đã kết nối",
        "went_offline": "mất kết nối",
        "no_cluster": "Không có cụm loa này.",
        "timetable": "Lịch phát",
        "week_ahead": "7 ngày tới",
        "all_communes": "Tất cả các xã",
        "no_commune": "Không có xã này trong lịch phát; hãy chọn một xã trong danh sách.",
        "timetable_ok": "Tệp lịch phát không có lỗi.",
        "file": "Tệp",
        "time": "Giờ",
        "slot_title": "Buổi phát",
        "no_slots": "Không có buổi phát.",
        "today_mark": "hôm nay",
        "skipped": "Ngày này không phát",
        "added": "Thêm riêng ngày này",
        "replaced": "Danh sách phát riêng ngày này",
        "note": "Ghi chú",
        "all_areas": "Tất cả các khu",
        "unknown_length": "chưa rõ thời lượng",
        "weekday.0": "Thứ Hai",
        "weekday.1": "Thứ Ba",
        "weekday.2": "Thứ Tư",
        "weekday.3": "Thứ Năm",
        "weekday.4": "Thứ Sáu",
        "weekday.5": "Thứ Bảy",
        "weekday.6": "Chủ Nhật",
    },
    "en": {
        "app": "Loudspeaker broadcasts",
        "today": "Today",
        "report_csv": "Report CSV",
        "report_xlsx": "Report XLSX",
        "sign_out": "Sign out",
        "signed_in_as": "User",
        "main_nav": "Main",
        "skip": "Skip to content",
        "language": "Language",
        "problems": "Timetable problems",
        "no_broadcasts": "No broadcasts today.",
        "area": "Area",
        "cluster": "Cluster",
        "offline": "offline",
        "legend": "Legend",
        "updated": "Updated at",
        "broadcast": "Broadcast",
        "start": "Start",
        "end": "End",
        "priority": "Priority",
        "target": "Clusters",
        "playlist": "Playlist",
        "history": "Changes",
        "by": "By",
        "action": "Action",
        "reason": "Reason",
        "at": "At",
        "outcome": "Outcome",
        "acks": "Cluster acks",
        "state": "State",
        "item": "Item",
        "stop": "Stop",
        "stop_all": "Stop on every cluster",
        "stop_chosen": "Stop only on the clusters chosen",
        "stop_button": "Stop",
        "cancelled": "Cancelled",
        "cancelled_by": "Cancelled by",
        "not_found": "No such broadcast.",
        "back": "Back to Today",
        "stopped": "Stop sent.",
        "none": "—",
        "roles.viewer": "viewer",
        "roles.operator": "operator",
        "roles.admin": "admin",
        "priority.routine": "routine",
        "priority.priority": "priority",
        "priority.emergency": "emergency",
        # cluster and timetable pages
        "commune": "Commune",
        "online": "online",
        "since": "since",
        "never": "never",
        "last_seen": "Last seen",
        "firmware": "Firmware",
        "volume": "Volume",
        "last_broadcasts": "Last broadcasts",
        "online_history": "Online history",
        "came_online": "came online",
        "went_offline": "went offline",
        "no_cluster": "No such cluster.",
        "timetable": "Timetable",
        "week_ahead": "the next 7 days",
        "all_communes": "All communes",
        "no_commune": "No such commune in the timetables; choose one from the list.",
        "timetable_ok": "No problems in the timetable file.",
        "file": "File",
        "time": "Time",
        "slot_title": "Broadcast",
        "no_slots": "No broadcasts.",
        "today_mark": "today",
        "skipped": "Not played this day",
        "added": "Added for this day",
        "replaced": "Own playlist this day",
        "note": "Note",
        "all_areas": "All areas",
        "unknown_length": "length unknown",
        "weekday.0": "Monday",
        "weekday.1": "Tuesday",
        "weekday.2": "Wednesday",
        "weekday.3": "Thursday",
        "weekday.4": "Friday",
        "weekday.5": "Saturday",
        "weekday.6": "Sunday",
    },
}


def words(lang: Lang) -> dict[str, str]:
    """Every word of the pages in `lang`, the cells' words included (`cell.<key>`)."""
    cells = {f"cell.{key}": cell_word(key, lang) for key in CELL_KEYS}
    return {**_PAGE[lang], **cells}


def cell_word(key: str, lang: Lang) -> str:
    """The word for a cell: a state (`pending`, `playing`, `suspended`) or an outcome."""
    return _STATES[lang].get(key) or OUTCOME_WORDS[lang][key]


def lang_of(asked: str | None, remembered: str | None) -> Lang:
    """`?lang=` wins, then the cookie, else Vietnamese."""
    for choice in (asked, remembered):
        for lang in LANGS:
            if choice == lang:
                return lang
    return "vi"


def legend(lang: Lang) -> list[tuple[str, str, str]]:
    """(key, word, symbol) of every cell a page can show, for its legend."""
    return [(key, cell_word(key, lang), SYMBOLS[key]) for key in CELL_KEYS]
