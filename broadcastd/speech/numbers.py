"""Numbers read out in Vietnamese, as a person reads them on the commune radio.

Written here rather than taken from num2words: its `vi` reads 2026 as "hai nghìn lẻ
hai mươi sáu" and 1.5 as "một phẩy năm mươi" (num2words 0.5.14), and years and
amounts are the commonest numbers in a notice. The rules are few: each group of
three digits after the first reads its hundreds ("không trăm"), a lone unit after
a hundred is "lẻ", and units change their sound after "mươi" (mốt, lăm).
"""

from __future__ import annotations

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
MAX_READ = 10**18 - 1


def _tens_and_units(tens: int, units: int, after_hundreds: bool) -> list[str]:
    if tens == 0:
        if units == 0:
            return []
        return (["lẻ"] if after_hundreds else []) + [DIGITS[units]]
    words = ["mười"] if tens == 1 else [DIGITS[tens], "mươi"]
    if units == 1 and tens > 1:
        words.append("mốt")
    elif units == 5:
        words.append("lăm")
    elif units == 4 and tens > 1:
        words.append("tư")
    elif units:
        words.append(DIGITS[units])
    return words


def _three(value: int, full: bool) -> list[str]:
    """One group of three digits; `full` reads zero hundreds ("không trăm năm mươi")."""
    hundreds, rest = divmod(value, 100)
    words: list[str] = []
    if hundreds or full:
        words += [DIGITS[hundreds], "trăm"]
    return words + _tens_and_units(rest // 10, rest % 10, bool(words))


def _below_billion(value: int, full: bool) -> list[str]:
    """Up to 999 999 999; `full` when a higher group was read before it."""
    words: list[str] = []
    for index, name in ((2, "triệu"), (1, "nghìn"), (0, "")):
        group = value // 1000**index % 1000
        if group:
            words += _three(group, full=full or bool(words))
            if name:
                words.append(name)
    return words


def _words(value: int) -> list[str]:
    billions, rest = divmod(value, 10**9)
    words = _words(billions) + ["tỷ"] if billions else []
    return words + _below_billion(rest, full=bool(words))


def read_integer(value: int) -> str:
    """2026 -> "hai nghìn không trăm hai mươi sáu"; negative numbers start with "âm"."""
    if value < 0:
        return "âm " + read_integer(-value)
    if value > MAX_READ:
        return read_digits(str(value))
    if value == 0:
        return DIGITS[0]
    return " ".join(_words(value))


def read_decimal(whole: str, fraction: str) -> str:
    """"2", "5" -> "hai phẩy năm"; a fraction with leading zeros reads them ("không năm")."""
    zeros = len(fraction) - len(fraction.lstrip("0"))
    tail = fraction.lstrip("0")
    parts = [read_integer(int(whole)), "phẩy", *([DIGITS[0]] * zeros)]
    if tail:
        parts.append(read_integer(int(tail)))
    return " ".join(parts)


def read_digits(text: str) -> str:
    """Digit by digit, as phone numbers are read: "0912" -> "không chín một hai"."""
    return " ".join(DIGITS[int(ch)] for ch in text if ch.isdigit())
