"""`broadcastd audio ...` as commune staff use it."""

from __future__ import annotations

from pathlib import Path

import pytest

from broadcastd.audio.catalogue import Catalogue
from broadcastd.audio.cli import main
from tests.audio.conftest import MakeAudio

USES = {"ban-tin-sang": ["schedules/man-lan.yaml:42 slot morning"]}


def find_uses(name: str) -> list[str]:
    return USES.get(name, [])


def audio(*argv: str) -> int:
    return main(["--lang", "en", "audio", *argv], find_uses)


def test_add_list_check_remove(make_audio: MakeAudio, library: Path,
                               capsys: pytest.CaptureFixture[str]) -> None:
    morning = make_audio("Bản tin sáng.wav", "sine=f=440:d=2,volume=-20dB")
    farming = make_audio("Khuyến nông.mp3", "sine=f=660:d=2", "-c:a", "libmp3lame")

    assert audio("add", str(morning), str(farming), "--library", str(library)) == 0
    assert "added ban-tin-sang: 'Bản tin sáng'" in capsys.readouterr().out

    assert audio("list", "--library", str(library)) == 0
    table = capsys.readouterr().out
    assert "ban-tin-sang  Bản tin sáng" in table and "khuyen-nong   Khuyến nông" in table
    assert "2 items" in table

    assert audio("check", "--library", str(library)) == 0
    assert "ok: 2 items" in capsys.readouterr().out

    assert audio("remove", "ban-tin-sang", "--library", str(library)) == 1
    assert "schedules/man-lan.yaml:42 slot morning" in capsys.readouterr().err
    assert Catalogue.load(library).get("ban-tin-sang") is not None

    removed = Catalogue.load(library).get("khuyen-nong")
    assert removed is not None
    assert audio("remove", "khuyen-nong", "--library", str(library)) == 0
    assert not (library / removed.file).exists()
    assert Catalogue.load(library).get("khuyen-nong") is None


def test_add_with_title_name_and_trim(make_audio: MakeAudio, library: Path,
                                      capsys: pytest.CaptureFixture[str]) -> None:
    source = make_audio("rec 01.wav", "sine=f=500:d=2,adelay=800:all=1,apad=pad_dur=1")
    assert audio("add", str(source), "--name", "giam-ngheo", "--title",
                 "Chính sách giảm nghèo", "--trim-silence", "--library", str(library)) == 0
    assert "trimmed from 3.8 s" in capsys.readouterr().out
    entry = Catalogue.load(library).get("giam-ngheo")
    assert entry is not None and entry.title == "Chính sách giảm nghèo"
    assert abs(entry.duration_s - 2.0) <= 0.05


def test_add_reports_each_bad_file_and_keeps_the_good(make_audio: MakeAudio, library: Path,
                                                      tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    good = make_audio("good.wav", "sine=f=440:d=1")
    bad = tmp_path / "notes.mp3"
    bad.write_text("hello")
    assert audio("add", str(bad), str(good), "--library", str(library)) == 1
    assert "notes.mp3: not an audio file" in capsys.readouterr().err
    assert list(Catalogue.load(library).entries) == ["good"]


def test_a_name_written_as_a_title_is_refused_with_its_id_form(
    make_audio: MakeAudio, library: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    source = make_audio("t2.wav", "sine=f=440:d=1")
    assert audio("add", str(source), "--name", "Bản tin T2", "--library", str(library)) == 1
    assert "use --name ban-tin-t2" in capsys.readouterr().err
    assert list(Catalogue.load(library).entries) == []


def test_name_with_several_files_is_refused(library: Path, tmp_path: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    assert audio("add", "a.wav", "b.wav", "--name", "x", "--library", str(library)) == 2
    assert "one file" in capsys.readouterr().err


def test_check_reports_drift_missing_and_orphans(make_audio: MakeAudio, library: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    for name, tone in (("suc-khoe", 300), ("hoc-nghe", 700)):
        make_audio(f"{name}.wav", f"sine=f={tone}:d=1")
    sources = sorted((library.parent / "sources").iterdir())
    assert audio("add", *map(str, sources), "--library", str(library)) == 0
    catalogue = Catalogue.load(library)
    drifted, missing = catalogue.entries["hoc-nghe"], catalogue.entries["suc-khoe"]
    (library / drifted.file).write_bytes(b"changed")
    (library / missing.file).unlink()
    (library / ("f" * 64 + ".mp3")).write_bytes(b"stray")
    capsys.readouterr()

    assert audio("check", "--library", str(library)) == 1
    err = capsys.readouterr().err
    assert f"changed on disk (sha256 differs): hoc-nghe -> {drifted.file}" in err
    assert f"missing: suc-khoe -> {missing.file}" in err
    assert "orphan file (in no catalogue item): " + "f" * 64 + ".mp3" in err


def test_broken_catalogue_is_reported_not_a_traceback(library: Path,
                                                      capsys: pytest.CaptureFixture[str]
                                                      ) -> None:
    (library / "catalogue.yaml").write_text("version: 1\nitems: [\n")
    assert audio("list", "--library", str(library)) == 1
    assert "catalogue.yaml, line" in capsys.readouterr().err


def test_the_library_commands_in_vietnamese(
    make_audio: MakeAudio, library: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    def vi(*argv: str) -> int:
        return main(["--lang", "vi", "audio", *argv, "--library", str(library)], find_uses)

    morning = make_audio("Bản tin sáng.wav", "sine=f=440:d=2,volume=-20dB")
    assert vi("add", str(morning)) == 0
    assert "đã thêm ban-tin-sang: 'Bản tin sáng' 2.0 giây" in capsys.readouterr().out
    assert vi("add", str(morning)) == 1
    assert capsys.readouterr().err.startswith(
        "lỗi: tên 'ban-tin-sang' đã được dùng cho 'Bản tin sáng' (từ 'Bản tin sáng.wav'); "
        "hãy chọn --name khác, hoặc thêm --replace để thay bản ghi"
    )
    assert vi("add", str(morning), "--name", "Bản tin T2") == 1
    assert "không dùng được tên 'Bản tin T2' trong danh mục" in capsys.readouterr().err
    assert vi("list") == 0
    listed = capsys.readouterr().out.splitlines()
    assert listed[0].split()[:2] == ["TÊN", "TIÊU"] and listed[-1] == "1 mục, tổng cộng 0:02"
    assert vi("check") == 0
    assert capsys.readouterr().out == "ổn: 1 mục, mọi tệp đều có và khớp sha256\n"
    assert vi("remove", "ban-tin-sang") == 1
    assert capsys.readouterr().err == (
        "lỗi: 'ban-tin-sang' vẫn đang được dùng ở: schedules/man-lan.yaml:42 slot morning. "
        "Hãy sửa các lịch phát đó trước\n"
    )
    bad = tmp_path / "notes.mp3"
    bad.write_text("hello")
    assert vi("add", str(bad)) == 1
    assert "notes.mp3: không phải tệp âm thanh mà ffmpeg giải mã được" in capsys.readouterr().err
