"""Written Vietnamese notices turned into the words a person reads aloud.

espeak-ng reads "17h30" as letters and digits and "UBND" letter by letter; an official
reading the notice on the radio says "mười bảy giờ ba mươi phút" and "Ủy ban nhân dân".
Pure and table-driven: `RULES` is the ordered list of what is rewritten, each rule a
pattern and the words it becomes; the abbreviations are a table a commune extends in
its config (`tts.abbreviations`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cached_property

from broadcastd.speech.numbers import read_decimal, read_digits, read_integer

#: Common abbreviations of commune notices; `tts.abbreviations` adds to or overrides them.
ABBREVIATIONS: Mapping[str, str] = {
    "UBND": "Ủy ban nhân dân",
    "HĐND": "Hội đồng nhân dân",
    "MTTQ": "Mặt trận Tổ quốc",
    "MTTQVN": "Mặt trận Tổ quốc Việt Nam",
    "BHYT": "bảo hiểm y tế",
    "BHXH": "bảo hiểm xã hội",
    "HTX": "hợp tác xã",
    "THCS": "trung học cơ sở",
    "THPT": "trung học phổ thông",
    "PCCC": "phòng cháy chữa cháy",
    "ATGT": "an toàn giao thông",
    "CSGT": "cảnh sát giao thông",
    "ANTT": "an ninh trật tự",
    "TTYT": "trung tâm y tế",
    "TYT": "trạm y tế",
    "KDC": "khu dân cư",
    "NTM": "nông thôn mới",
    "CCCD": "căn cước công dân",
    "CMND": "chứng minh nhân dân",
    "SĐT": "số điện thoại",
    "KHHGĐ": "kế hoạch hóa gia đình",
    "ATTP": "an toàn thực phẩm",
    "VSATTP": "vệ sinh an toàn thực phẩm",
    "GPMB": "giải phóng mặt bằng",
    "NHCSXH": "Ngân hàng Chính sách xã hội",
    "LĐTBXH": "Lao động - Thương binh và Xã hội",
    "TN&MT": "Tài nguyên và Môi trường",
    "NN&PTNT": "Nông nghiệp và Phát triển nông thôn",
    "BVTV": "bảo vệ thực vật",
    "TDTT": "thể dục thể thao",
    "KT-XH": "kinh tế - xã hội",
    "QL": "quốc lộ",
    "TP.": "thành phố",
    "TP": "thành phố",
    "TX": "thị xã",
    "Đ/c": "đồng chí",
    "đ/c": "đồng chí",
    "v/v": "về việc",
    "V/v": "về việc",
}

#: Units after a number, longest first where one starts another (km/h before km).
UNITS: Mapping[str, str] = {
    "km/h": "ki lô mét một giờ",
    "km²": "ki lô mét vuông",
    "km2": "ki lô mét vuông",
    "km": "ki lô mét",
    "kg": "ki lô gam",
    "ha": "héc ta",
    "m²": "mét vuông",
    "m2": "mét vuông",
    "m³": "mét khối",
    "m3": "mét khối",
    "cm": "xen ti mét",
    "mm": "mi li mét",
    "m": "mét",
    "°C": "độ xê",
    "ºC": "độ xê",
    "VNĐ": "đồng",
    "đ": "đồng",
}

_MONTHS = {4: "tư"}  # "tháng tư", never "tháng bốn"
_WEEKDAYS = {1: "nhất", 4: "tư"}  # "thứ tư" is Wednesday

# A number as written: 1.500.000 (dots group thousands), 2,5 (comma before decimals).
NUMBER = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?"
_HOUR = r"(?:[01]?\d|2[0-3])"
_TIME = rf"{_HOUR}\s?(?:h|giờ|:)\s?[0-5]\d(?:'|p\b|\s?phút)?|{_HOUR}\s?h(?![^\W\d_])"
_DATE = r"(?:[0-2]?\d|3[01])[/.-](?:0?\d|1[0-2])[/.-](?:19|20)\d\d"
_SHORT_DATE = r"(?:[0-2]?\d|3[01])/(?:0?\d|1[0-2])(?![/\d])"
_NOT_LETTER = r"(?![^\W\d_])"  # the end of a word: no letter follows (digits may)


def read_number(written: str) -> str:
    """A number as written in a notice: "1.500.000", "2,5", "07"."""
    if "," in written:
        whole, fraction = written.split(",", 1)
        return read_decimal(whole.replace(".", ""), fraction)
    return read_integer(int(written.replace(".", "")))


def read_time(written: str) -> str:
    """"17h30", "17:30", "17 giờ 30 phút", "7h" -> "mười bảy giờ ba mươi phút"."""
    hours, *rest = re.findall(r"\d+", written)
    words = f"{read_integer(int(hours))} giờ"
    minutes = int(rest[0]) if rest else 0
    return f"{words} {read_integer(minutes)} phút" if minutes else words


def read_date(written: str) -> str:
    """"29/11/2026" -> "ngày hai mươi chín tháng mười một năm hai nghìn ..."."""
    day, month, *year = (int(part) for part in re.findall(r"\d+", written))
    words = f"ngày {read_integer(day)} tháng {_MONTHS.get(month, read_integer(month))}"
    return f"{words} năm {read_integer(year[0])}" if year else words


def read_phone(written: str) -> str:
    """Digit by digit, a short pause (comma) where the writer put a space or dot."""
    groups = [g for g in re.split(r"[\s.\-]+", written.replace("+", " cộng ")) if g]
    spoken = [g if g == "cộng" else read_digits(g) for g in groups]
    return ", ".join(spoken).replace("cộng,", "cộng")


@dataclass(frozen=True)
class Rule:
    """One rewrite: what it is for (tests name it), the pattern, and the words."""

    name: str
    pattern: re.Pattern[str]
    words: Callable[[re.Match[str]], str]


def _rule(name: str, pattern: str, words: Callable[[re.Match[str]], str]) -> Rule:
    return Rule(name, re.compile(pattern, re.IGNORECASE), words)


def _units_pattern() -> str:
    names = "|".join(re.escape(unit) for unit in sorted(UNITS, key=len, reverse=True))
    return rf"(?<![\d,.])({NUMBER})\s?({names}){_NOT_LETTER}"


def _unit_words(match: re.Match[str]) -> str:
    unit = next(u for u in UNITS if u.lower() == match.group(2).lower())
    return f"{read_number(match.group(1))} {UNITS[unit]}"


RULES: tuple[Rule, ...] = (
    _rule("phone", r"(?<![\d.,])(?:\+84|0)(?:[ .\-]?\d){8,10}(?!\d)",
          lambda m: read_phone(m.group(0))),
    _rule("hotline", r"\b(gọi|số) (1\d{2,3})(?!\d)",
          lambda m: f"{m.group(1)} {read_digits(m.group(2))}"),
    _rule("date", rf"(?:\bngày\s+)?(?<!\d)({_DATE})(?!\d)",
          lambda m: read_date(m.group(1))),
    _rule("day and month", rf"(?:\bngày\s+)?(?<![\d/])({_SHORT_DATE})",
          lambda m: read_date(m.group(1))),
    _rule("month and year", r"\btháng\s+(0?[1-9]|1[0-2])/((?:19|20)\d\d)(?!\d)",
          lambda m: f"tháng {_MONTHS.get(int(m.group(1)), read_integer(int(m.group(1))))} "
                    f"năm {read_integer(int(m.group(2)))}"),
    _rule("time range", rf"(?<!\d)({_TIME})\s?[-–]\s?({_TIME})",
          lambda m: f"{read_time(m.group(1))} đến {read_time(m.group(2))}"),
    _rule("time", rf"(?<![\d,.])({_TIME})", lambda m: read_time(m.group(1))),
    _rule("number range", rf"(?<![\d,.])({NUMBER})\s?[-–]\s?({NUMBER})(?![\d,.])",
          # The second number stays written, for the unit or percent rule after it.
          lambda m: f"{read_number(m.group(1))} đến {m.group(2)}"),
    _rule("percent", rf"(?<![\d,.])({NUMBER})\s?%", lambda m: f"{read_number(m.group(1))} phần trăm"),
    _rule("unit", _units_pattern(), _unit_words),
    _rule("weekday", r"\bthứ\s+([1-7])(?!\d)",
          lambda m: f"thứ {_WEEKDAYS.get(int(m.group(1)), read_integer(int(m.group(1))))}"),
    _rule("number", rf"(?<![\d,.])({NUMBER})(?![\d])", lambda m: read_number(m.group(1))),
)


@dataclass(frozen=True)
class Normaliser:
    """Rewrites a notice for the speech engine; `abbreviations` extends ABBREVIATIONS."""

    abbreviations: Mapping[str, str] | None = None

    @cached_property
    def table(self) -> dict[str, str]:
        """The abbreviations in force: the built-in table, then the commune's."""
        return {**ABBREVIATIONS, **(self.abbreviations or {})}

    @cached_property
    def _abbreviation(self) -> re.Pattern[str] | None:
        if not self.table:
            return None
        keys = sorted(self.table, key=len, reverse=True)
        alternatives = "|".join(re.escape(key) for key in keys)
        # Case-sensitive: "TP" is a city, "tp" may be a word. No letter right before or
        # after; digits may follow ("QL2" is quốc lộ 2).
        return re.compile(rf"(?<![^\W\d_])({alternatives}){_NOT_LETTER}(\d)?")

    def _expand(self, match: re.Match[str]) -> str:
        digit = match.group(2)
        return self.table[match.group(1)] + (f" {digit}" if digit else "")

    def __call__(self, text: str) -> str:
        """The notice as it should be spoken: NFC, one space between words."""
        spoken = unicodedata.normalize("NFC", text)
        if self._abbreviation is not None:
            spoken = self._abbreviation.sub(self._expand, spoken)
        for rule in RULES:
            spoken = rule.pattern.sub(rule.words, spoken)
        return " ".join(spoken.split())


def normalise(text: str, abbreviations: Mapping[str, str] | None = None) -> str:
    """`Normaliser(abbreviations)(text)`, for one-off calls."""
    return Normaliser(abbreviations)(text)
