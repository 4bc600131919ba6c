"""Finding ffmpeg on a fresh machine: system first, then the pip wheel, else a hint."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from broadcastd.audio import ffmpeg as ffmpeg_module
from broadcastd.audio.errors import AudioToolMissing
from broadcastd.audio.ffmpeg import AudioTools, configure_pydub, locate_tools


def _fake_tool(directory: Path, name: str) -> Path:
    directory.mkdir(exist_ok=True)
    path = directory / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(0o755)
    return path


def test_system_ffmpeg_on_path_wins(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ffmpeg = _fake_tool(tmp_path / "bin", "ffmpeg")
    ffprobe = _fake_tool(tmp_path / "bin", "ffprobe")
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    assert locate_tools() == AudioTools(ffmpeg, ffprobe, "system")


def test_wheel_ffmpeg_when_path_has_none(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    tools = locate_tools()
    assert tools.origin == "imageio-ffmpeg"
    assert tools.ffprobe is None
    assert tools.ffmpeg == Path(imageio_ffmpeg.get_ffmpeg_exe())
    assert os.access(tools.ffmpeg, os.X_OK)


def test_neither_gives_install_hint(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    monkeypatch.setattr(ffmpeg_module, "_bundled_ffmpeg", lambda: None)
    with pytest.raises(AudioToolMissing) as raised:
        locate_tools(bundled=ffmpeg_module._bundled_ffmpeg)
    assert "apt-get install ffmpeg" in str(raised.value)
    assert "pip install imageio-ffmpeg" in str(raised.value)


def test_pydub_is_pointed_at_the_located_ffmpeg(tmp_path: Path,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from pydub import AudioSegment

    monkeypatch.setattr(AudioSegment, "converter", AudioSegment.converter)
    ffmpeg = _fake_tool(tmp_path / "bin", "ffmpeg")
    configure_pydub(AudioTools(ffmpeg, None, "imageio-ffmpeg"))
    assert AudioSegment.converter == str(ffmpeg)
