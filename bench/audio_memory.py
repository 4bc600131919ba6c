"""Peak memory and speed of importing a long programme (issue: 75-minute relay).

Generates a stereo 128 kbit/s MP3 of the given length (speech-like: tone and
noise bursts with pauses), imports it through the real importer into a
temporary library, and prints the figures:

    python bench/audio_memory.py [--minutes 60] [--trim-silence]

Peak memory is the largest resident set of this Python process and of any one
ffmpeg child (they run one at a time), and their sum as an upper bound.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from broadcastd.audio.ffmpeg import locate_tools
from broadcastd.audio.importer import import_file


def make_programme(ffmpeg: str, path: Path, minutes: float) -> None:
    seconds = minutes * 60
    graph = (f"sine=f=220:d={seconds}:sample_rate=44100[a];"
             f"anoisesrc=d={seconds}:c=pink:a=0.3:r=44100:seed=5[n];"
             "[a][n]amix=inputs=2,volume='if(lt(mod(t,7),5),1,0.02)':eval=frame,"
             "aformat=channel_layouts=stereo")
    subprocess.run([ffmpeg, "-v", "error", "-nostdin", "-y", "-filter_complex", graph,
                    "-c:a", "libmp3lame", "-b:a", "128k", str(path)], check=True)


def measure_import(source: Path, library: Path, trim_silence: bool) -> dict[str, object]:
    """Import in this (fresh) process, so its rusage covers the import alone."""
    tools = locate_tools()
    started = time.monotonic()
    report = import_file(source, library, name="relay", tools=tools, trim_silence=trim_silence)
    elapsed = time.monotonic() - started
    child_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    self_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {
        "ffmpeg": f"{tools.origin} {tools.ffmpeg}",
        "encodes": report.encodes,
        "wall_s": round(elapsed, 1),
        "speed_x_realtime": round(report.source_duration_s / elapsed, 1),
        "peak_rss_python_mb": round(self_kib / 1024, 1),
        "peak_rss_ffmpeg_mb": round(child_kib / 1024, 1),
        "peak_rss_upper_bound_mb": round((self_kib + child_kib) / 1024, 1),
        "output_lufs": report.entry.loudness_lufs,
        "output_true_peak_dbtp": report.entry.true_peak_dbtp,
        "output_duration_s": report.entry.duration_s,
        "source_duration_s": round(report.source_duration_s, 2),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--trim-silence", action="store_true")
    parser.add_argument("--import-only", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.import_only is not None:
        figures = measure_import(args.import_only, args.import_only.parent / "lib",
                                 args.trim_silence)
        print(json.dumps(figures))
        return 0
    tools = locate_tools()
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "relay.mp3"
        make_programme(str(tools.ffmpeg), source, args.minutes)
        cmd = [sys.executable, __file__, "--import-only", str(source)]
        if args.trim_silence:
            cmd.append("--trim-silence")
        done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    figures = {"input_minutes": args.minutes, **json.loads(done.stdout)}
    print(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
