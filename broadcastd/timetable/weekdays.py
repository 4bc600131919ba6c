"""Weekdays as officials write them: `mon` ... `sun`, or Vietnamese.

Vietnamese names the weekdays by number from Monday, "thứ hai" (second) to "thứ bảy"
(seventh), and Sunday "chủ nhật"; calendars and notices shorten them to T2 ... T7 and
CN. Each is accepted with or without its accents and with any spacing, so `thứ hai`,
`Thứ Hai`, `thu hai`, `thứ 2` and `t2` are all Monday. Pure.
"""

from __future__ import annotations

import re
import unicodedata

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
DAILY_WORDS = frozenset({"daily", "hang ngay", "moi ngay", "tat ca cac ngay"})
"""`days:` words meaning every day (`hằng ngày`, `hàng ngày`, `mọi ngày`)."""

_NUMBER_WORDS = {"hai": 2, "ba": 3, "tu": 4, "nam": 5, "sau": 6, "bay": 7}
_VIETNAMESE_NAMES = {
    "thứ hai": "mon", "thứ ba": "tue", "thứ tư": "wed", "thứ năm": "thu",
    "thứ sáu": "fri", "thứ bảy": "sat", "chủ nhật": "sun",
}
"""The names shown back to officials (`vietnamese_name`)."""


def plain(text: str) -> str:
    """Lower case, accents dropped (đ as d), runs of spaces as one."""
    decomposed = unicodedata.normalize("NFKD", text.replace("đ", "d").replace("Đ", "D"))
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).lower()
    return re.sub(r"\s+", " ", bare).strip()


def weekday_of(text: str) -> str | None:
    """`mon` ... `sun` for a weekday as written, else None.

    `thu` alone is the English Thursday (as it always was in timetables); the
    Vietnamese Thursday is `thứ năm`, `thu nam`, `thứ 5` or `t5`."""
    word = plain(text)
    if word in WEEKDAYS:
        return word
    if word in ("cn", "chu nhat"):
        return "sun"
    number = re.fullmatch(r"(?:t|thu ?)([2-7])", word)
    if number:
        return WEEKDAYS[int(number.group(1)) - 2]
    named = re.fullmatch(r"thu (hai|ba|tu|nam|sau|bay)", word)
    if named:
        return WEEKDAYS[_NUMBER_WORDS[named.group(1)] - 2]
    return None


def read_days(value: object) -> object:
    """`days:` as written -> `daily` or a list of `mon` ... `sun`; anything not
    recognised is passed on unchanged so the model refuses it with its line."""
    if isinstance(value, str):
        if plain(value) in DAILY_WORDS:
            return "daily"
        day = weekday_of(value)
        return [day] if day else value  # `days: thứ hai` is that one weekday
    if isinstance(value, list):
        return [weekday_of(day) or day if isinstance(day, str) else day for day in value]
    return value


def vietnamese_name(weekday: str) -> str:
    """`mon` -> `thứ hai`."""
    return {code: name for name, code in _VIETNAMESE_NAMES.items()}[weekday]
