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
        # audio library page
        "library": "Thư viện âm thanh",
        "library.intro": "Các bài phát đã chuẩn hóa âm lượng; lịch phát gọi mỗi bài bằng tên của nó.",
        "library.name": "Tên",
        "library.title": "Tiêu đề",
        "library.duration": "Thời lượng",
        "library.loudness": "Độ lớn",
        "library.size": "Dung lượng",
        "library.added": "Ngày thêm",
        "library.uses": "Lịch phát dùng",
        "library.unused": "Chưa lịch nào dùng",
        "library.listen": "Nghe",
        "library.missing": "Thiếu tệp",
        "library.empty": "Thư viện chưa có bài nào.",
        "library.count": "{count} bài, tổng {total}",
        "library.upload": "Thêm bài mới",
        "library.file": "Tệp âm thanh",
        "library.file_hint": "MP3, WAV, M4A, OGG, FLAC, AMR…, tối đa {max_mb} MB.",
        "library.name_hint": "Tên dùng trong lịch phát: chữ thường không dấu, số và dấu gạch ngang "
        "(ví dụ ban-tin-t2). Để trống thì lấy theo tiêu đề.",
        "library.trim": "Cắt khoảng lặng ở đầu và cuối",
        "library.submit": "Tải lên",
        "library.uploading": "Đang tải lên: {percent}%",
        "library.processing": "Đã tải lên; đang chuẩn hóa âm lượng, xin chờ…",
        "library.added_notice": "Đã thêm «{title}» ({name}) vào thư viện.",
        "library.viewer_note": "Chỉ người điều hành mới thêm được bài mới.",
        "library.detail": "Chi tiết kỹ thuật",
        "library.progress": "Tiến độ tải lên",
        "library.lost": "Mất kết nối với máy chủ khi đang tải lên. Hãy kiểm tra mạng rồi gửi lại.",
        "library.use_slot": "{where}, khung giờ {slot}",
        "library.use_one_off": "{where}, khung giờ một lần {slot} ngày {day}",
        "library.use_dated": "{where}, khung giờ {slot}, riêng ngày {day}",
        "library.problem.too_big": "Tệp lớn hơn {max_mb} MB nên không nhận. Hãy cắt ngắn hoặc "
        "xuất lại tệp nhỏ hơn (ví dụ MP3 64 kbit/s).",
        "library.problem.incomplete": "Chưa nhận đủ tệp (chưa chọn tệp, hoặc việc tải lên bị "
        "ngắt). Hãy chọn tệp và gửi lại.",
        "library.problem.empty": "Tệp rỗng, không có âm thanh. Hãy chép lại tệp từ điện thoại "
        "hoặc máy ghi âm.",
        "library.problem.truncated": "Tệp bị hỏng hoặc bị cắt cụt. Hãy chép hoặc xuất lại tệp "
        "rồi gửi lại.",
        "library.problem.silent": "Tệp chỉ có khoảng lặng, không nghe được gì. Hãy kiểm tra "
        "lại bản ghi.",
        "library.problem.name_taken": "Tên «{name}» đã có trong thư viện. Hãy chọn tên khác, "
        "hoặc xóa bài cũ trước.",
        "library.problem.invalid_name": "Tên «{name}» không dùng được: chỉ chữ thường không dấu "
        "a-z, số 0-9 và dấu gạch ngang, tối đa 63 ký tự.",
        "library.problem.not_audio": "Đây không phải tệp âm thanh đọc được (có thể là ảnh hoặc "
        "tài liệu). Hãy chọn đúng tệp ghi âm, hoặc xuất lại thành MP3.",
        "library.problem.write": "Máy chủ không ghi được vào thư viện (ổ đĩa đầy hoặc không có "
        "quyền). Thư viện không thay đổi; hãy báo kỹ thuật viên.",
        "library.problem.no_ffmpeg": "Máy chủ thiếu ffmpeg nên không chuyển đổi được âm thanh. "
        "Hãy báo kỹ thuật viên cài ffmpeg.",
        "library.problem.catalogue": "Danh mục thư viện (catalogue.yaml) đang bị lỗi. Hãy báo "
        "kỹ thuật viên chạy broadcastd audio check.",
        "library.problem.failed": "Không chuyển đổi được tệp này; thư viện không thay đổi. Hãy "
        "xuất lại thành MP3 rồi gửi lại, hoặc báo kỹ thuật viên.",
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
        # audio library page
        "library": "Audio library",
        "library.intro": "Programmes, brought to the same loudness; timetables name each by its name.",
        "library.name": "Name",
        "library.title": "Title",
        "library.duration": "Length",
        "library.loudness": "Loudness",
        "library.size": "Size",
        "library.added": "Added",
        "library.uses": "Used by",
        "library.unused": "No timetable",
        "library.listen": "Listen",
        "library.missing": "File missing",
        "library.empty": "The library is empty.",
        "library.count": "{count} items, {total} in all",
        "library.upload": "Add a programme",
        "library.file": "Audio file",
        "library.file_hint": "MP3, WAV, M4A, OGG, FLAC, AMR…, at most {max_mb} MB.",
        "library.name_hint": "The name timetables use: lower-case letters without accents, "
        "digits and '-' (e.g. ban-tin-t2). Left empty, it is made from the title.",
        "library.trim": "Cut silence at the start and the end",
        "library.submit": "Upload",
        "library.uploading": "Uploading: {percent}%",
        "library.processing": "Uploaded; bringing it to the loudness target, please wait…",
        "library.added_notice": "Added «{title}» ({name}) to the library.",
        "library.viewer_note": "Only operators can add programmes.",
        "library.detail": "Technical detail",
        "library.progress": "Upload progress",
        "library.lost": "The connection to the server was lost while uploading. Check the "
        "network and send it again.",
        "library.use_slot": "{where}, slot {slot}",
        "library.use_one_off": "{where}, one-off slot {slot} on {day}",
        "library.use_dated": "{where}, slot {slot}, on {day} only",
        "library.problem.too_big": "The file is larger than {max_mb} MB and was not taken. "
        "Shorten it or export a smaller file (e.g. MP3 at 64 kbit/s).",
        "library.problem.incomplete": "The file did not arrive whole (none chosen, or the "
        "upload was cut off). Choose the file and send it again.",
        "library.problem.empty": "The file is empty. Copy it again from the phone or recorder.",
        "library.problem.truncated": "The file is damaged or cut short. Copy or export it "
        "again and send it again.",
        "library.problem.silent": "The file holds only silence. Check the recording.",
        "library.problem.name_taken": "The name «{name}» is already in the library. Choose "
        "another name, or remove the old item first.",
        "library.problem.invalid_name": "The name «{name}» cannot be used: only lower-case "
        "a-z, digits 0-9 and '-', at most 63 long.",
        "library.problem.not_audio": "This is not an audio file that can be read (a picture "
        "or a document?). Choose the recording, or export it again as MP3.",
        "library.problem.write": "The server could not write to the library (disk full or no "
        "permission). Nothing changed; tell the technician.",
        "library.problem.no_ffmpeg": "The server has no ffmpeg to convert audio. Ask the "
        "technician to install ffmpeg.",
        "library.problem.catalogue": "The library's catalogue (catalogue.yaml) is damaged. Ask "
        "the technician to run broadcastd audio check.",
        "library.problem.failed": "This file could not be converted; nothing changed. Export "
        "it again as MP3 and send it again, or tell the technician.",
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
