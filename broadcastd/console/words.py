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
        # reports page
        "reports": "Báo cáo",
        "report.title": "Báo cáo phát thanh: kế hoạch và thực tế",
        "report.choose": "Chọn báo cáo",
        "report.from": "Từ ngày",
        "report.to": "Đến ngày",
        "report.commune": "Xã",
        "report.all_communes": "Tất cả các xã",
        "report.all_areas": "Tất cả các khu",
        "report.show": "Xem báo cáo",
        "report.range": "Từ {first} đến {last}",
        "report.csv": "Tải về CSV",
        "report.xlsx": "Tải về Excel (XLSX)",
        "report.print": "Bản in (lưu PDF)",
        "report.back": "Quay lại báo cáo",
        "report.print_hint": "In bằng Ctrl+P và chọn «Lưu dưới dạng PDF».",
        "report.made": "Lập lúc",
        "report.total": "Tổng cộng",
        "report.total_line": "Dự kiến {planned} lượt phát trên các cụm loa; đã phát {played}; "
        "tỉ lệ đã phát {share}.",
        "report.share_note": "Tỉ lệ đã phát = đã phát ÷ (dự kiến − đã hủy − chưa kết thúc). "
        "▼: dưới 80 %.",
        "report.worst": "Cụm loa phát ít nhất",
        "report.none_worst": "Mọi cụm loa đã phát đủ những gì đến lượt.",
        "report.share_played": "tỉ lệ đã phát",
        "report.missed": "không phát",
        "report.partial": "phát một phần",
        "report.low": "thấp",
        "report.per_cluster": "Theo cụm loa",
        "report.per_day": "Theo ngày",
        "report.date": "Ngày",
        "report.no_rows": "Không có buổi phát nào trong khoảng này.",
        "report.outside": "(không còn trong lịch phát)",
    },
    "en": {
        "app": "Loudspeaker broadcasts",
        "today": "Today",
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
        # reports page
        "reports": "Reports",
        "report.title": "Broadcast report: plan vs actual",
        "report.choose": "Choose a report",
        "report.from": "From",
        "report.to": "To",
        "report.commune": "Commune",
        "report.all_communes": "Every commune",
        "report.all_areas": "Every area",
        "report.show": "Show report",
        "report.range": "From {first} to {last}",
        "report.csv": "Download CSV",
        "report.xlsx": "Download Excel (XLSX)",
        "report.print": "Print view (save as PDF)",
        "report.back": "Back to the report",
        "report.print_hint": "Print with Ctrl+P and choose “Save as PDF”.",
        "report.made": "Made at",
        "report.total": "Total",
        "report.total_line": "{planned} cluster plays planned; {played} played; "
        "share played {share}.",
        "report.share_note": "Share played = played ÷ (planned − cancelled − not over yet). "
        "▼: below 80%.",
        "report.worst": "Clusters that played least",
        "report.none_worst": "Every cluster played all that was due.",
        "report.share_played": "share played",
        "report.missed": "missed",
        "report.partial": "partial",
        "report.low": "low",
        "report.per_cluster": "Per cluster",
        "report.per_day": "Per day",
        "report.date": "Date",
        "report.no_rows": "No broadcasts in this range.",
        "report.outside": "(no longer in the timetable)",
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
