"""The daemon's memory while a big recording is uploaded through the library page.

Runs `broadcastd run` on the shipped timetables and a copy of the shipped library,
signs an operator in, generates a stereo WAV of the given length (about 10.6 MB a
minute), posts it to /library as the page's form does, and prints the time the upload
and its import took and the daemon's peak resident memory (VmHWM) before and after:
the upload streams to disk, so the peak must not grow by the file's size.

    python bench/console_upload.py [--minutes 15]
"""

from __future__ import annotations

import argparse
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from broadcastd.audio.ffmpeg import locate_tools

PASSWORD = "bench-mat-khau"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def peak_mb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmHWM:\s+(\d+) kB", status)
    assert found
    return int(found.group(1)) // 1024


def start(root: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    shutil.copytree(ROOT / "audio_library", root / "library")
    config = root / "broadcastd.yaml"
    config.write_text(yaml.safe_dump({
        "broker": {"url": f"embedded://127.0.0.1:{free_port()}"},
        "database": {"url": f"sqlite:///{root / 'bench.db'}"},
        "http": {"listen": f"127.0.0.1:{port}"},
        "paths": {"schedules": str(ROOT / "schedules"), "audio_library": str(root / "library")},
        "logging": {"format": "json"},
    }), encoding="utf-8")
    subprocess.run([sys.executable, "-m", "broadcastd", "user", "add", "bench", "--role",
                    "operator", "--password-stdin", "--config", str(config)],
                   input=PASSWORD, text=True, check=True, capture_output=True)
    daemon = subprocess.Popen([sys.executable, "-m", "broadcastd", "run", "--config", str(config)],
                              stdout=(root / "daemon.log").open("wb"), stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            httpx.get(f"{base}/healthz", timeout=1)
            return daemon, base
        except httpx.HTTPError:
            time.sleep(0.2)
    raise SystemExit("the daemon did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--minutes", type=float, default=15.0)
    minutes = parser.parse_args().minutes
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        recording = root / "Tiếp sóng huyện.wav"
        subprocess.run([str(locate_tools().ffmpeg), "-loglevel", "error", "-y", "-f", "lavfi",
                        "-i", f"sine=frequency=330:duration={minutes * 60}", "-af",
                        "volume=-24dB", "-ac", "2", str(recording)], check=True)
        daemon, base = start(root)
        try:
            with httpx.Client(base_url=base, timeout=3600) as browser:
                browser.post("/login", data={"name": "bench", "password": PASSWORD,
                                             "next": "/library"})
                page = browser.get("/library").text
                found = re.search(r'name="csrf" value="([^"]+)"', page)
                assert found, "not signed in"
                before = peak_mb(daemon.pid)
                began = time.monotonic()
                with recording.open("rb") as sent:
                    answer = browser.post(
                        "/library", data={"csrf": found.group(1), "title": "Tiếp sóng huyện"},
                        files={"file": (recording.name, sent, "audio/wav")})
                took = time.monotonic() - began
                after = peak_mb(daemon.pid)
        finally:
            daemon.terminate()
            daemon.wait(30)
        size_mb = recording.stat().st_size / (1 << 20)
        print(f"upload of {size_mb:.0f} MB ({minutes:g} min WAV): answer {answer.status_code} "
              f"{answer.headers.get('location', '')} in {took:.1f} s (upload and import)")
        print(f"daemon peak memory: {before} MB before, {after} MB after")


if __name__ == "__main__":
    main()
