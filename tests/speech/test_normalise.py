"""The normalisation table: sentences of commune notices, and what the speaker must say."""

from __future__ import annotations

import pytest

from broadcastd.speech.normalise import normalise
from broadcastd.speech.numbers import read_integer

NUMBERS = [
    (0, "không"),
    (5, "năm"),
    (15, "mười lăm"),
    (21, "hai mươi mốt"),
    (24, "hai mươi tư"),
    (105, "một trăm lẻ năm"),
    (110, "một trăm mười"),
    (1010, "một nghìn không trăm mười"),
    (2005, "hai nghìn không trăm lẻ năm"),
    (2026, "hai nghìn không trăm hai mươi sáu"),
    (105_000, "một trăm lẻ năm nghìn"),
    (1_500_000, "một triệu năm trăm nghìn"),
    (1_000_005, "một triệu không trăm lẻ năm"),
    (3_500_000_000_000, "ba nghìn năm trăm tỷ"),
]


@pytest.mark.parametrize(("number", "words"), NUMBERS)
def test_numbers_read_as_a_person_reads_them(number: int, words: str) -> None:
    assert read_integer(number) == words


NOTICES = [
    # times
    ("Họp lúc 17h30.", "Họp lúc mười bảy giờ ba mươi phút."),
    ("Họp lúc 17:30.", "Họp lúc mười bảy giờ ba mươi phút."),
    ("Họp lúc 19h.", "Họp lúc mười chín giờ."),
    ("từ 7h30-11h00", "từ bảy giờ ba mươi phút đến mười một giờ"),
    # dates
    ("29/11/2026", "ngày hai mươi chín tháng mười một năm hai nghìn không trăm hai mươi sáu"),
    ("ngày 05/4/2027", "ngày năm tháng tư năm hai nghìn không trăm hai mươi bảy"),
    ("trước ngày 15/12.", "trước ngày mười lăm tháng mười hai."),
    ("kế hoạch tháng 11/2026", "kế hoạch tháng mười một năm hai nghìn không trăm hai mươi sáu"),
    ("thứ 4 và thứ 7", "thứ tư và thứ bảy"),
    # percentages, amounts, units
    ("đạt 85,5%", "đạt tám mươi lăm phẩy năm phần trăm"),
    ("tăng 10-15%", "tăng mười đến mười lăm phần trăm"),
    ("mức thu 1.500.000 đồng", "mức thu một triệu năm trăm nghìn đồng"),
    ("phí 50.000đ", "phí năm mươi nghìn đồng"),
    ("mưa 50-100 mm", "mưa năm mươi đến một trăm mi li mét"),
    ("nhiệt độ 12°C", "nhiệt độ mười hai độ xê"),
    ("cách 5km, tối đa 40km/h", "cách năm ki lô mét, tối đa bốn mươi ki lô mét một giờ"),
    ("12 ha lúa, 3.200 kg thóc", "mười hai héc ta lúa, ba nghìn hai trăm ki lô gam thóc"),
    ("nước dâng 2,5 m", "nước dâng hai phẩy năm mét"),
    # phone numbers, digit by digit
    ("SĐT: 0912 345 678", "số điện thoại: không chín một hai, ba bốn năm, sáu bảy tám"),
    ("gọi 0210.3851.234", "gọi không hai một không, ba tám năm một, hai ba bốn"),
    ("khi có cháy gọi 114", "khi có cháy gọi một một bốn"),
    # abbreviations
    ("UBND xã Mạn Lạn", "Ủy ban nhân dân xã Mạn Lạn"),
    ("HĐND, MTTQ và HTX", "Hội đồng nhân dân, Mặt trận Tổ quốc và hợp tác xã"),
    ("thẻ BHYT, BHXH", "thẻ bảo hiểm y tế, bảo hiểm xã hội"),
    ("trường THCS và THPT", "trường trung học cơ sở và trung học phổ thông"),
    ("dọc QL2", "dọc quốc lộ hai"),
    ("liên hệ Đ/c Hùng", "liên hệ đồng chí Hùng"),
    # whole notices
    (
        "UBND xã thông báo: 7h30 ngày 05/12/2026 tiêm vắc xin tại TYT xã.",
        ("Ủy ban nhân dân xã thông báo: bảy giờ ba mươi phút ngày năm tháng mười hai năm "
        "hai nghìn không trăm hai mươi sáu tiêm vắc xin tại trạm y tế xã."),
    ),
    (
        "Họp dân khu 7 lúc 19h30 tại Nhà văn hóa, đề nghị 100% hộ gia đình tham dự.",
        ("Họp dân khu bảy lúc mười chín giờ ba mươi phút tại Nhà văn hóa, đề nghị một trăm "
        "phần trăm hộ gia đình tham dự."),
    ),
]


@pytest.mark.parametrize(("written", "spoken"), NOTICES)
def test_notices_are_rewritten_as_they_are_read_aloud(written: str, spoken: str) -> None:
    assert normalise(written) == spoken


def test_a_commune_extends_and_overrides_the_abbreviations() -> None:
    table = {"KDC": "khu dân cư số", "NVH": "nhà văn hóa"}
    assert normalise("Họp tại NVH KDC 3", table) == "Họp tại nhà văn hóa khu dân cư số ba"
    assert normalise("UBND", table) == "Ủy ban nhân dân"  # the built-in table stays


def test_abbreviations_match_whole_words_only() -> None:
    assert normalise("HTXanh TPHCM") == "HTXanh TPHCM"
