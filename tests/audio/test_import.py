"""Importing: what comes out is what the speakers need, and bad input changes nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from broadcastd.audio import catalogue as catalogue_module
from broadcastd.audio import importer as importer_module
from broadcastd.audio.catalogue import Catalogue
from broadcastd.audio.errors import (
    EmptyAudio,
    ImportRefused,
    LibraryWriteError,
    NameTaken,
    NotAudio,
    SilentAudio,
    TruncatedAudio,
)
from broadcastd.audio.ffmpeg import AudioTools
from broadcastd.audio.files import sha256_file
from broadcastd.audio.importer import import_file
from broadcastd.audio.profile import AudioProfile
from tests.audio.conftest import MakeAudio, hear, snapshot, source_duration

PROFILE = AudioProfile()
# A loud stereo programme: a tone over noise, peaking near full scale.
LOUD_STEREO = ("sine=f=523:d=4:sample_rate=48000[a];anoisesrc=d=4:a=0.9:c=pink:r=48000:seed=7[n];"
               "[a][n]amix=inputs=2:normalize=0,aformat=channel_layouts=stereo")
QUIET_TONE = "sine=f=330:d=3:sample_rate=22050,volume=-30dB"


def assert_meets_profile(tools: AudioTools, path: Path, expected_s: float) -> None:
    heard = hear(tools, path)
    assert abs(heard.integrated_lufs - PROFILE.target_lufs) <= 1.0, heard
    assert heard.true_peak_dbtp <= PROFILE.true_peak_dbtp, heard
    assert abs(heard.duration_s - expected_s) <= 0.05, heard
    assert heard.channels == "mono"
    assert heard.sample_rate == PROFILE.sample_rate
    assert heard.bitrate_kbps == PROFILE.bitrate_kbps


def test_loud_stereo_wav_becomes_normalised_mono_mp3(tools: AudioTools, make_audio: MakeAudio,
                                                     library: Path) -> None:
    source = make_audio("district.wav", LOUD_STEREO, "-filter_complex_threads", "1")
    report = import_file(source, library, name="tin-huyen", title="Tin huyện", tools=tools)

    entry = Catalogue.load(library).get("tin-huyen")
    assert entry == report.entry
    path = library / entry.file
    assert entry.file == f"{entry.sha256}.mp3" and sha256_file(path) == entry.sha256
    assert_meets_profile(tools, path, source_duration(tools, source))
    assert entry.title == "Tin huyện" and entry.source == "district.wav"
    assert abs(entry.loudness_lufs - PROFILE.target_lufs) <= 1.0


def test_quiet_phone_recording_with_vietnamese_name(tools: AudioTools, make_audio: MakeAudio,
                                                    library: Path) -> None:
    source = make_audio("Bản tin sáng.m4a", QUIET_TONE, "-c:a", "aac")
    report = import_file(source, library, tools=tools)

    assert report.entry.name == "ban-tin-sang"
    assert report.entry.title == "Bản tin sáng"
    assert report.entry.source == "Bản tin sáng.m4a"
    assert_meets_profile(tools, library / report.entry.file, source_duration(tools, source))
    reloaded = Catalogue.load(library).get("ban-tin-sang")
    assert reloaded is not None and reloaded.title == "Bản tin sáng"


def test_trim_silence_cuts_leading_and_trailing_silence(tools: AudioTools,
                                                        make_audio: MakeAudio,
                                                        library: Path) -> None:
    source = make_audio("padded.wav",
                        "sine=f=440:d=3:sample_rate=44100,volume=-12dB,"
                        "adelay=1000:all=1,apad=pad_dur=1.5")
    report = import_file(source, library, name="padded", trim_silence=True, tools=tools)

    assert report.trimmed is not None
    assert_meets_profile(tools, library / report.entry.file, 3.0)
    assert abs(report.entry.duration_s - 3.0) <= 0.05


def test_same_file_gives_same_bytes_twice(tools: AudioTools, make_audio: MakeAudio,
                                          tmp_path: Path) -> None:
    source = make_audio("jingle.wav", QUIET_TONE)
    first = import_file(source, tmp_path / "one", name="a", tools=tools).entry
    second = import_file(source, tmp_path / "two", name="a", tools=tools).entry
    assert first.sha256 == second.sha256

    again = import_file(source, tmp_path / "one", name="b", tools=tools)
    assert again.reused_file and again.entry.file == first.file
    assert sorted(p.name for p in (tmp_path / "one").glob("*.mp3")) == [first.file]


def test_works_with_only_the_imageio_ffmpeg_build(make_audio: MakeAudio, library: Path) -> None:
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    wheel_only = AudioTools(Path(imageio_ffmpeg.get_ffmpeg_exe()), None, "imageio-ffmpeg")
    source = make_audio("tone.wav", QUIET_TONE)
    report = import_file(source, library, name="tone", tools=wheel_only)
    assert_meets_profile(wheel_only, library / report.entry.file, 3.0)


# --- bad input: a clear error, and the library exactly as it was -------------------

def _prepared_library(tools: AudioTools, make_audio: MakeAudio, library: Path) -> None:
    import_file(make_audio("existing.wav", QUIET_TONE), library, name="nhac-hieu",
                title="Nhạc hiệu", tools=tools)


def _bad_inputs(make_audio: MakeAudio, tmp_path: Path) -> dict[str, tuple[Path, str | None]]:
    text = tmp_path / "ghi chú.mp3"
    text.write_text("Đây không phải âm thanh\n" * 50, encoding="utf-8")
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    picture = make_audio("poster.png", "color=red:s=32x32:d=1", "-frames:v", "1")
    silence = make_audio("silence.wav", "anullsrc=r=44100:cl=mono:d=3")
    cut_mp3 = make_audio("cut.mp3", "sine=f=440:d=6", "-c:a", "libmp3lame", "-b:a", "128k")
    cut_mp3.write_bytes(cut_mp3.read_bytes()[: cut_mp3.stat().st_size // 2])
    cut_wav = make_audio("cut.wav", "sine=f=440:d=4")
    cut_wav.write_bytes(cut_wav.read_bytes()[:-4001])
    cut_m4a = make_audio("cut.m4a", "sine=f=440:d=4", "-c:a", "aac")
    cut_m4a.write_bytes(cut_m4a.read_bytes()[: cut_m4a.stat().st_size // 2])
    taken = make_audio("other.wav", "sine=f=600:d=2")
    return {
        "text": (text, None), "empty": (empty, None), "picture": (picture, None),
        "silence": (silence, None), "cut_mp3": (cut_mp3, None), "cut_wav": (cut_wav, None),
        "cut_m4a": (cut_m4a, None), "name_taken": (taken, "nhac-hieu"),
    }


BAD_CASES = {
    "text": (NotAudio, "not an audio file"),
    "empty": (EmptyAudio, "empty"),
    "picture": (NotAudio, "no audio stream"),
    "silence": (SilentAudio, "only silence"),
    "cut_mp3": (TruncatedAudio, "cut short"),
    "cut_wav": (TruncatedAudio, "cut short"),
    "cut_m4a": (TruncatedAudio, "incomplete"),
    "name_taken": (NameTaken, "already used by 'Nhạc hiệu'"),
}


@pytest.mark.parametrize("case", sorted(BAD_CASES))
def test_bad_input_is_refused_and_library_unchanged(case: str, tools: AudioTools,
                                                    make_audio: MakeAudio, library: Path,
                                                    tmp_path: Path) -> None:
    _prepared_library(tools, make_audio, library)
    before = snapshot(library)
    source, name = _bad_inputs(make_audio, tmp_path)[case]
    error, words = BAD_CASES[case]

    with pytest.raises(error) as raised:
        import_file(source, library, name=name, trim_silence=(case == "silence"), tools=tools)

    assert words in str(raised.value)
    assert snapshot(library) == before


def test_disk_full_while_encoding_leaves_library_unchanged(
        tools: AudioTools, make_audio: MakeAudio, library: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _prepared_library(tools, make_audio, library)
    before = snapshot(library)

    def full_disk_temp(library_dir: Path, suffix: str) -> Path:
        # ffmpeg writes into /dev/full: every write fails with ENOSPC, as on a full disk.
        path = library_dir / f".import-full{suffix}"
        path.symlink_to("/dev/full")
        return path

    monkeypatch.setattr(importer_module, "new_temp_path", full_disk_temp)
    with pytest.raises(LibraryWriteError, match="full"):
        import_file(make_audio("new.wav", QUIET_TONE), library, name="moi", tools=tools)
    assert snapshot(library) == before


def test_disk_full_while_saving_catalogue_leaves_library_unchanged(
        tools: AudioTools, make_audio: MakeAudio, library: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    _prepared_library(tools, make_audio, library)
    before = snapshot(library)

    def full_disk_temp(directory: Path, prefix: str) -> Path:
        path = directory / f"{prefix}full"
        path.symlink_to("/dev/full")
        return path

    monkeypatch.setattr(catalogue_module, "_temp_path", full_disk_temp)
    with pytest.raises(LibraryWriteError, match="nothing was added"):
        import_file(make_audio("new.wav", QUIET_TONE), library, name="moi", tools=tools)
    assert snapshot(library) == before
    assert isinstance(LibraryWriteError("x"), ImportRefused)
