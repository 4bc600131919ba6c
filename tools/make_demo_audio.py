"""Generate the shipped demo library: short spoken programmes, never downloaded.

Speech comes from espeak-ng's Vietnamese voice when it is installed
(`apt-get install -y espeak-ng`), over a soft chime; without it each programme
is a tone melody. Everything goes through the real importer, so the demo files
are normalised exactly like a commune's own.

    python tools/make_demo_audio.py [--library audio_library]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from broadcastd.audio.catalogue import Catalogue
from broadcastd.audio.ffmpeg import AudioTools, configure_pydub, locate_tools
from broadcastd.audio.importer import import_file
from broadcastd.audio.library import remove_item


@dataclass(frozen=True)
class Programme:
    name: str
    title: str
    text: str
    seconds: float  # target length; speech is padded or the tone melody cut to it


PROGRAMMES = (
    Programme("nhac-hieu", "Nhạc hiệu", "", 5.0),
    Programme("ban-tin-sang", "Bản tin buổi sáng",
              "Kính thưa bà con. Đây là bản tin buổi sáng của đài truyền thanh xã. "
              "Hôm nay xã tổ chức tiêm chủng cho trẻ em tại trạm y tế.", 14.0),
    Programme("ban-tin-chieu", "Bản tin buổi chiều",
              "Kính thưa bà con. Đây là bản tin buổi chiều. Chiều nay có họp thôn "
              "lúc năm giờ tại nhà văn hóa.", 12.0),
    Programme("giam-ngheo", "Chính sách giảm nghèo",
              "Chương trình giảm nghèo bền vững hỗ trợ vốn vay ưu đãi cho hộ nghèo. "
              "Bà con liên hệ ủy ban xã để đăng ký.", 13.0),
    Programme("hoc-nghe", "Đào tạo nghề",
              "Trung tâm dạy nghề huyện mở lớp may công nghiệp và sửa chữa máy nông nghiệp. "
              "Học viên được miễn học phí.", 13.0),
    Programme("suc-khoe", "Sức khỏe cộng đồng",
              "Để phòng bệnh sốt xuất huyết, bà con hãy diệt lăng quăng và ngủ màn.", 11.0),
    Programme("khuyen-nong", "Khuyến nông",
              "Cán bộ khuyến nông hướng dẫn bà con chăm sóc lúa sau mưa lớn.", 10.0),
    Programme("thoi-tiet", "Dự báo thời tiết",
              "Dự báo thời tiết: ngày mai trời nhiều mây, có mưa rào, nhiệt độ từ hai mươi "
              "ba đến ba mươi độ.", 11.0),
    Programme("canh-bao-lu", "Cảnh báo lũ",
              "Cảnh báo khẩn cấp. Nước sông Thao đang lên nhanh. Bà con khu bảy và khu tám "
              "di chuyển người và tài sản lên chỗ cao ngay.", 12.0),
)

JINGLE_NOTES = (523.25, 659.25, 783.99, 1046.5)  # C major arpeggio


def _render_programme(p: Programme, tools: AudioTools, workdir: Path) -> Path:
    """A WAV source for one programme: chime, then speech (or a melody), padded."""
    configure_pydub(tools)
    from pydub import AudioSegment
    from pydub.generators import Sine

    chime = AudioSegment.silent(duration=0, frame_rate=22050)
    for i, freq in enumerate(JINGLE_NOTES[:2] if p.text else JINGLE_NOTES):
        note = Sine(freq, sample_rate=22050).to_audio_segment(duration=350 + 150 * (i == 3))
        chime += note.apply_gain(-14).fade_in(15).fade_out(120)
    speech = _speak(p.text, workdir) if p.text else None
    if speech is not None:
        body = chime + AudioSegment.silent(300, 22050) + AudioSegment.from_wav(speech)
    else:
        melody = chime
        while len(melody) < p.seconds * 1000:
            melody += chime.apply_gain(-3)
        body = melody
    target_ms = int(p.seconds * 1000)
    body = body[:target_ms] if len(body) > target_ms else body + AudioSegment.silent(
        target_ms - len(body), 22050)
    body = body.set_channels(1).set_frame_rate(22050).fade_out(200)
    out = workdir / f"{p.name}.wav"
    body.export(out, format="wav").close()
    return out


def _speak(text: str, workdir: Path) -> Path | None:
    espeak = shutil.which("espeak-ng")
    if espeak is None:
        return None
    out = workdir / f"speech-{abs(hash(text))}.wav"
    subprocess.run([espeak, "-v", "vi", "-s", "150", "-w", str(out), text], check=True)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--library", type=Path, default=Path("audio_library"))
    parser.add_argument("--only", action="append", metavar="NAME",
                        help="make only this programme (again), leaving the others as they are")
    args = parser.parse_args(argv)
    chosen = [p for p in PROGRAMMES if not args.only or p.name in args.only]
    tools = locate_tools()
    if shutil.which("espeak-ng") is None:
        print("espeak-ng not installed: demo programmes will be tone melodies")
    catalogue = Catalogue.load(args.library)
    for programme in chosen:
        if catalogue.get(programme.name) is not None:
            remove_item(args.library, programme.name, lambda _name: [])
    with tempfile.TemporaryDirectory() as tmp:
        for programme in chosen:
            source = _render_programme(programme, tools, Path(tmp))
            report = import_file(source, args.library, name=programme.name,
                                 title=programme.title, tools=tools)
            e = report.entry
            print(f"{e.name:14} {e.duration_s:5.1f} s {e.loudness_lufs:6.1f} LUFS "
                  f"{e.true_peak_dbtp:5.1f} dBTP  {e.title}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
