"""Fixtures for the audio library tests: generated audio, a library, a live server."""

from __future__ import annotations

import re
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI

from broadcastd.audio.ffmpeg import AudioTools, locate_tools
from broadcastd.audio.http import audio_router


@pytest.fixture(scope="session")
def tools() -> AudioTools:
    return locate_tools()


MakeAudio = Callable[..., Path]


@pytest.fixture
def make_audio(tools: AudioTools, tmp_path: Path) -> MakeAudio:
    """Render a lavfi graph to a file: make_audio('x.wav', 'sine=f=440:d=3', ...)."""
    source_dir = tmp_path / "sources"
    source_dir.mkdir()

    def make(name: str, graph: str, *output_args: str) -> Path:
        path = source_dir / name
        subprocess.run([str(tools.ffmpeg), "-v", "error", "-nostdin", "-y", "-f", "lavfi",
                        "-i", graph, *output_args, str(path)], check=True)
        return path

    return make


@dataclass(frozen=True)
class Heard:
    """What a person checking a file with ffmpeg would read off it."""

    integrated_lufs: float
    true_peak_dbtp: float
    duration_s: float
    sample_rate: int
    channels: str
    bitrate_kbps: int


def hear(tools: AudioTools, path: Path) -> Heard:
    """Measure with ffmpeg's ebur128 scanner (not the importer's own loudnorm pass)."""
    done = subprocess.run(
        [str(tools.ffmpeg), "-hide_banner", "-nostdin", "-i", str(path), "-af",
         "ebur128=peak=true,astats=measure_perchannel=none:measure_overall=Number_of_samples",
         "-f", "null", "-"], capture_output=True, text=True, check=True)
    log = done.stderr
    stream = re.search(r"Audio: mp3[^,]*, (\d+) Hz, (\w+), \w+, (\d+) kb/s", log)
    assert stream is not None, log
    summary = log[log.rfind("Summary:"):]
    integrated = re.search(r"I:\s+(-?[\d.]+|-inf) LUFS", summary)
    peak = re.search(r"True peak:\s+Peak:\s+(-?[\d.]+|-inf) dBFS", summary)
    samples = re.findall(r"Number of samples: (\d+)", log)
    assert integrated and peak and samples, log
    rate = int(stream.group(1))
    return Heard(float(integrated.group(1)), float(peak.group(1)), int(samples[-1]) / rate,
                 rate, stream.group(2), int(stream.group(3)))


def source_duration(tools: AudioTools, path: Path) -> float:
    """Seconds of audio in any input, by decoding it at 48 kHz and counting samples."""
    done = subprocess.run(
        [str(tools.ffmpeg), "-hide_banner", "-nostdin", "-i", str(path), "-af",
         "aresample=48000,astats=measure_perchannel=none:measure_overall=Number_of_samples",
         "-f", "null", "-"], capture_output=True, text=True, check=True)
    return int(re.findall(r"Number of samples: (\d+)", done.stderr)[-1]) / 48000


@pytest.fixture
def library(tmp_path: Path) -> Path:
    path = tmp_path / "audio_library"
    path.mkdir()
    return path


def snapshot(library: Path) -> dict[str, bytes]:
    """Every file in the library with its content, to prove an import changed nothing."""
    return {p.name: p.read_bytes() for p in sorted(library.iterdir())
            if p.is_file() and p.name != ".lock"}


@dataclass(frozen=True)
class LiveServer:
    base_url: str
    host: str
    port: int


@pytest.fixture
def live_server(library: Path) -> Iterator[LiveServer]:
    """The audio router on a real uvicorn server, on a free port, in a thread."""
    app = FastAPI()
    app.include_router(audio_router(library))
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_config=None, lifespan="off"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    try:
        yield LiveServer(f"http://127.0.0.1:{port}", "127.0.0.1", port)
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
