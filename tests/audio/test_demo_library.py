"""The demo library shipped in the repository is complete and intact."""

from __future__ import annotations

from pathlib import Path

from broadcastd.audio.catalogue import Catalogue
from broadcastd.audio.library import check_library

SHIPPED = Path(__file__).resolve().parents[2] / "audio_library"
TITLES = {
    "nhac-hieu": "Nhạc hiệu", "ban-tin-sang": "Bản tin buổi sáng",
    "ban-tin-chieu": "Bản tin buổi chiều", "giam-ngheo": "Chính sách giảm nghèo",
    "hoc-nghe": "Đào tạo nghề", "suc-khoe": "Sức khỏe cộng đồng",
    "khuyen-nong": "Khuyến nông", "thoi-tiet": "Dự báo thời tiết",
    "canh-bao-lu": "Cảnh báo lũ",  # what the README's `broadcastd announce` example sends
}


def test_shipped_library_has_every_demo_item_intact() -> None:
    report = check_library(SHIPPED)
    assert report.ok, report.lines()
    catalogue = Catalogue.load(SHIPPED)
    assert {name: e.title for name, e in catalogue.entries.items()} == TITLES
    for entry in catalogue.entries.values():
        assert 4.5 <= entry.duration_s <= 25.0
        assert abs(entry.loudness_lufs + 16.0) <= 1.0 and entry.true_peak_dbtp <= -1.5
    total = sum(p.stat().st_size for p in SHIPPED.iterdir())
    assert total < 1_500_000
