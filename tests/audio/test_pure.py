"""Pure pieces: byte ranges, names, reading ffmpeg's reports."""

from __future__ import annotations

import pytest

from broadcastd.audio import analysis
from broadcastd.audio.names import is_valid_name, name_from_filename
from broadcastd.audio.ranges import ByteRange, Unsatisfiable, etag_matches, parse_range


@pytest.mark.parametrize(("header", "expected"), [
    (None, None), ("bytes=0-9", ByteRange(0, 9)), ("bytes=90-", ByteRange(90, 99)),
    ("bytes=-10", ByteRange(90, 99)), ("bytes=50-500", ByteRange(50, 99)),
    ("bytes=0-1,5-6", None), ("items=0-1", None), ("bytes=9-3", None),
])
def test_parse_range(header: str | None, expected: ByteRange | None) -> None:
    assert parse_range(header, 100) == expected


@pytest.mark.parametrize("header", ["bytes=100-", "bytes=200-300", "bytes=-0"])
def test_unsatisfiable_ranges(header: str) -> None:
    with pytest.raises(Unsatisfiable):
        parse_range(header, 100)


def test_etag_matching() -> None:
    assert etag_matches('"a", "b"', '"b"') and etag_matches("*", '"b"')
    assert etag_matches('W/"b"', '"b"') and not etag_matches('"c"', '"b"')


@pytest.mark.parametrize(("stem", "name"), [
    ("Bản tin sáng", "ban-tin-sang"), ("Đào tạo nghề", "dao-tao-nghe"),
    ("Sức khỏe cộng đồng (số 3)", "suc-khoe-cong-dong-so-3"), ("__", ""),
])
def test_name_from_vietnamese_file_name(stem: str, name: str) -> None:
    assert name_from_filename(stem) == name
    assert is_valid_name(name) == bool(name)


def test_audible_span_cuts_edges_only() -> None:
    silences = ((0.0, 1.0), (2.0, 2.5), (4.0, 5.0))
    assert analysis.audible_span(silences, 5.0) == (1.0, 4.0)
    assert analysis.audible_span(((0.0, 5.0),), 5.0) is None


def test_truncation_needs_a_clear_shortfall() -> None:
    assert analysis.is_truncated(6.0, 3.0)
    assert not analysis.is_truncated(6.02, 6.0)
    assert not analysis.is_truncated(None, 3.0)
