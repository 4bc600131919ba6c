"""The words a report shows people, Vietnamese first: column headers and outcomes.

The one place for them: the downloads use it, and so will the console's report page.
"""

from __future__ import annotations

from typing import Literal

from broadcastd.store.outcomes import Outcome

Lang = Literal["vi", "en"]
LANGS: tuple[Lang, ...] = ("vi", "en")

NOT_OVER = "pending"
"""The outcome key of a delivery whose broadcast has not ended yet (no outcome)."""

OUTCOME_WORDS: dict[Lang, dict[str, str]] = {
    "vi": {
        Outcome.played: "Đã phát",
        Outcome.partial: "Phát một phần",
        Outcome.missed: "Không phát",
        Outcome.preempted: "Bị ưu tiên chen",
        Outcome.cancelled: "Đã hủy",
        Outcome.failed: "Lỗi",
        NOT_OVER: "Chưa kết thúc",
    },
    "en": {
        Outcome.played: "played",
        Outcome.partial: "partial",
        Outcome.missed: "missed",
        Outcome.preempted: "preempted",
        Outcome.cancelled: "cancelled",
        Outcome.failed: "failed",
        NOT_OVER: "not over yet",
    },
}

ROW_COLUMNS: tuple[tuple[str, str, str], ...] = (
    # (key, Vietnamese, English)
    ("commune", "Xã", "Commune"),
    ("area", "Khu", "Area"),
    ("cluster", "Cụm loa", "Cluster"),
    ("broadcast_id", "Mã phát", "Broadcast id"),
    ("slot", "Khung giờ", "Slot"),
    ("title", "Tiêu đề", "Title"),
    ("priority", "Mức ưu tiên", "Priority"),
    ("start", "Bắt đầu dự kiến", "Planned start"),
    ("end", "Kết thúc dự kiến", "Planned end"),
    ("outcome", "Kết quả", "Outcome"),
    ("detail", "Chi tiết", "Detail"),
    ("received", "Nhận lúc", "Received at"),
    ("playing", "Bắt đầu phát lúc", "Playing at"),
    ("finished", "Kết thúc lúc", "Finished at"),
    ("sends", "Số lần gửi", "Sends"),
)

COUNT_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("planned", "Dự kiến", "Planned"),
    (Outcome.played, "Đã phát", "Played"),
    (Outcome.partial, "Phát một phần", "Partial"),
    (Outcome.missed, "Không phát", "Missed"),
    (Outcome.preempted, "Bị ưu tiên chen", "Preempted"),
    (Outcome.cancelled, "Đã hủy", "Cancelled"),
    (Outcome.failed, "Lỗi", "Failed"),
    (NOT_OVER, "Chưa kết thúc", "Not over yet"),
    ("share_played", "Tỉ lệ đã phát", "Share played"),
)

CLUSTER_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("commune", "Xã", "Commune"),
    ("area", "Khu", "Area"),
    ("cluster", "Cụm loa", "Cluster"),
    *COUNT_COLUMNS,
)

DAY_COLUMNS: tuple[tuple[str, str, str], ...] = (("date", "Ngày", "Date"), *COUNT_COLUMNS)

SHEETS: dict[Lang, tuple[str, str, str]] = {
    "vi": ("Chi tiết", "Theo cụm loa", "Theo ngày"),
    "en": ("Deliveries", "Per cluster", "Per day"),
}

FILE_STEM: dict[Lang, str] = {"vi": "bao-cao", "en": "report"}
ALL_COMMUNES: dict[Lang, str] = {"vi": "tat-ca", "en": "all"}


REFUSALS: dict[Lang, dict[str, str]] = {
    # Why a report cannot be made as asked, and the fix; `{known}` is a list of choices.
    "vi": {
        "not_a_date": "{field} là {text!r}, không phải một ngày: hãy viết theo dạng "
        "YYYY-MM-DD, ví dụ 2026-11-01",
        "to_before_from": "Đến ngày ({last}) ở trước Từ ngày ({first}): hãy đặt ngày sớm "
        "hơn vào Từ ngày (cả hai ngày đều được tính)",
        "too_long": "{days} ngày là quá dài: một báo cáo gồm tối đa {most} ngày; hãy chia "
        "nhỏ khoảng thời gian (ví dụ mỗi tháng một báo cáo)",
        "no_commune": "Không có xã {commune!r} trong lịch phát; hãy chọn một trong: {known}",
        "no_area_in": "Xã {commune!r} không có khu {area!r}; hãy chọn một trong: {known}",
        "no_area_anywhere": "Không xã nào có khu {area!r}; hãy chọn một trong: {known}",
        "none": "(chưa có)",
        "field.from": "Từ ngày",
        "field.to": "Đến ngày",
    },
    "en": {
        "not_a_date": "`{field}` is {text!r}, not a date; write it as YYYY-MM-DD, "
        "e.g. 2026-11-01",
        "to_before_from": "`to` ({last}) is before `from` ({first}); send the earlier date "
        "as `from` (both days are included)",
        "too_long": "{days} days asked; a report covers at most {most} days: split the "
        "range (e.g. one report per month)",
        "no_commune": "no commune {commune!r} in the timetables; use one of: {known}",
        "no_area_in": "no area {area!r} in commune {commune!r}; use one of: {known}",
        "no_area_anywhere": "no area {area!r} in any commune; use one of: {known}",
        "none": "(none)",
        "field.from": "from",
        "field.to": "to",
    },
}


def refusal_text(reason: str, values: dict[str, object], lang: Lang = "vi") -> str:
    """Why a report was refused, in `lang`: a list value is written as choices, a
    `field` value (`from`, `to`) as the form's or the API's name for it."""
    said = REFUSALS[lang]
    shown: dict[str, object] = {}
    for key, value in values.items():
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value) or said["none"]
        elif key == "field":
            value = said[f"field.{value}"]
        shown[key] = value
    return said[reason].format(**shown)


def outcome_word(outcome: str | None, lang: Lang = "vi") -> str:
    """The word for an outcome (None: the broadcast is not over yet)."""
    return OUTCOME_WORDS[lang][outcome if outcome is not None else NOT_OVER]


def headers(columns: tuple[tuple[str, str, str], ...], lang: Lang) -> list[str]:
    index = 1 if lang == "vi" else 2
    return [column[index] for column in columns]
