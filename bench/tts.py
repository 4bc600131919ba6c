"""How fast the server speaks a notice, and how loud the result is (not a test: figures
for docs/benchmarks.md).

    PYTHONPATH=. python bench/tts.py            # updates the "Text bulletins" section
    PYTHONPATH=. python bench/tts.py --no-doc   # prints only

Three commune notices (short, medium, long) spoken with the default engine (espeak-ng,
Vietnamese voice, 145 words a minute) into a fresh library: the engine alone (seconds of
speech per second of wall time), the whole `text:` path (normalise, synthesise, two-pass
R128 conversion to MP3, measure), then the same text again (the cache). The loudness is
measured on the library file with ffmpeg's ebur128 scanner, as a person checking it would.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time
import wave
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # `python bench/tts.py`: make `broadcastd` importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.sections import Section
from broadcastd.audio.ffmpeg import locate_tools
from broadcastd.speech.cache import Speaker
from broadcastd.speech.engines import EspeakEngine

SECTION = Section("<!-- tts:begin -->", "<!-- tts:end -->")
DOC = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"

NOTICES = {
    "short": "UBND xã Mạn Lạn thông báo: 19h30 hôm nay họp dân khu 7 tại nhà văn hóa.",
    "medium": (
        "Thông báo của Trạm y tế xã: từ 7h30 đến 11h00 thứ 4 ngày 02/12/2026, Trạm y tế "
        "xã tổ chức tiêm vắc xin sởi cho trẻ từ 9 tháng đến 5 tuổi. Đề nghị các gia đình "
        "mang theo sổ tiêm chủng và thẻ BHYT. Mọi thắc mắc xin liên hệ Đ/c Hùng, SĐT "
        "0912 345 678."
    ),
    "long": (
        "Ban chỉ huy phòng chống thiên tai xã thông báo: theo bản tin của Trung tâm dự báo "
        "khí tương thủy văn quốc gia, từ đêm 29/11/2026 đến ngày 01/12/2026, khu vực tỉnh "
        "Phú Thọ có mưa to đến rất to, lượng mưa phổ biến từ 100-150 mm, có nơi trên 200 mm; "
        "mực nước sông Hồng tại Thanh Ba có thể lên 2,5 m. Đề nghị các hộ gia đình ở khu 3, "
        "khu 7 và khu 12 chủ động chằng chống nhà cửa, kê cao tài sản, không đi qua ngầm, "
        "tràn khi nước chảy xiết, không vớt củi trên sông. HTX nông nghiệp khơi thông kênh "
        "mương, tiêu úng cho 45 ha lúa và 12 ha rau màu. Các trường mầm non, tiểu học, THCS "
        "theo dõi thời tiết, sẵn sàng cho học sinh nghỉ học. Khi có sự cố, gọi ngay Đ/c Chủ "
        "tịch UBND xã, SĐT 0210 3851 234, hoặc lực lượng dân quân trực 24/24 tại trụ sở. "
        "UBND xã đề nghị 100% hộ gia đình thực hiện nghiêm túc thông báo này."
    ),
}


@dataclass(frozen=True)
class Spoken:
    name: str
    chars: int
    speech_s: float
    engine_s: float
    whole_s: float
    cached_s: float
    lufs: float
    true_peak: float

    @property
    def engine_rate(self) -> float:
        return self.speech_s / self.engine_s

    @property
    def whole_rate(self) -> float:
        return self.speech_s / self.whole_s


def _wav_seconds(path: Path) -> float:
    with wave.open(str(path)) as wav:
        return wav.getnframes() / wav.getframerate()


def _loudness(path: Path) -> tuple[float, float]:
    """Integrated loudness and true peak, by ffmpeg's ebur128 scanner."""
    done = subprocess.run(
        [str(locate_tools().ffmpeg), "-hide_banner", "-nostdin", "-i", str(path),
         "-af", "ebur128=peak=true", "-f", "null", "-"],
        capture_output=True, text=True, check=True)
    summary = done.stderr[done.stderr.rfind("Summary:"):]
    lufs = re.search(r"I:\s+(-?[\d.]+) LUFS", summary)
    peak = re.search(r"True peak:\s+Peak:\s+(-?[\d.]+) dBFS", summary)
    assert lufs and peak, done.stderr[-2000:]
    return float(lufs.group(1)), float(peak.group(1))


def measure(name: str, text: str, work: Path) -> Spoken:
    engine = EspeakEngine()
    speaker = Speaker(work / name, engine)
    wav = work / f"{name}.wav"
    began = time.perf_counter()
    engine.synthesise(speaker.normaliser(text), wav)
    engine_s = time.perf_counter() - began
    began = time.perf_counter()
    speech = speaker.speak(text)
    whole_s = time.perf_counter() - began
    began = time.perf_counter()
    speaker.speak(text)
    cached_s = time.perf_counter() - began
    lufs, peak = _loudness(work / name / speech.file)
    return Spoken(name, len(text), _wav_seconds(wav), engine_s, whole_s, cached_s, lufs, peak)


def section(rows: list[Spoken], load: float) -> str:
    lines = [
        SECTION.begin,
        "## Text bulletins: speaking a notice (espeak-ng, Vietnamese)",
        "",
        ("Measured by `PYTHONPATH=. python bench/tts.py` (not part of `bench/run.py`; this "
        "section is kept when the page is regenerated). Each notice is spoken by espeak-ng "
        "(voice `vi`, 145 words a minute) on the 2-core machine of the table above. *Engine* "
        "is espeak-ng alone; *whole* is what a `text:` item costs once: normalising, "
        "speaking, the two-pass R128 conversion to the speaker profile (MP3) and its "
        "measurement; *again* is the same text later (the speech cache). Loudness is the "
        "library file's, by ffmpeg's ebur128 (target -16 LUFS, ceiling -1.5 dBTP). The "
        "engine's figure for a short notice is mostly its start-up; the conversion (ffmpeg) "
        "is what a `text:` item costs, once, at load time. Load average at the start of "
        f"this run: {load:.1f} (other work shared the 2 cores, so the times are upper "
        "bounds)."),
        "",
        ("| notice | characters | speech | engine | speech per second (engine) | whole "
        "| speech per second (whole) | again | loudness | true peak |"),
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    lines += [
        f"| {r.name} | {r.chars:,} | {r.speech_s:.1f} s | {r.engine_s:.2f} s "
        f"| {r.engine_rate:.0f} s/s | {r.whole_s:.2f} s | {r.whole_rate:.1f} s/s "
        f"| {r.cached_s * 1000:.1f} ms | {r.lufs:.1f} LUFS | {r.true_peak:.1f} dBTP |"
        for r in rows
    ]
    return "\n".join(lines) + "\n" + SECTION.end + "\n"


def kept_section(path: Path) -> str:
    """This section as docs/benchmarks.md holds it now (for bench/docs.py)."""
    return SECTION.kept(path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--doc", type=Path, default=DOC, help="page to update")
    parser.add_argument("--no-doc", action="store_true", help="print only")
    parser.add_argument("--only", choices=sorted(NOTICES), help="one notice (a smoke run)")
    args = parser.parse_args(argv)
    chosen = [args.only] if args.only else list(NOTICES)
    load = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="broadcastd-tts-bench-") as work:
        rows = [measure(name, NOTICES[name], Path(work)) for name in chosen]
    text = section(rows, load)
    print(text)
    if not args.no_doc:
        SECTION.write(args.doc, text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
