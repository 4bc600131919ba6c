"""Pure helpers: ffmpeg filter graphs for each pass, and parsers of ffmpeg's log.

Kept free of I/O so the wording of ffmpeg's reports (which differs a little
between the system's ffmpeg 5 and the wheel's newer build) is tested directly.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass

from broadcastd.audio.profile import AudioProfile

#: Sample rate every pass measures at, so a sample count converts to seconds.
MEASURE_RATE = 48000
#: A stretch quieter than this, for at least SILENCE_MIN_S, counts as silence.
SILENCE_THRESHOLD_DB = -50.0
SILENCE_MIN_S = 0.3
#: Integrated loudness below this is treated as "nothing to hear".
SILENT_BELOW_LUFS = -60.0

_DURATION = re.compile(r"Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)")
_SAMPLES = re.compile(r"Number of samples: (\d+)")
_SILENCE_START = re.compile(r"silence_start: (-?\d+(?:\.\d+)?)")
_SILENCE_END = re.compile(r"silence_end: (-?\d+(?:\.\d+)?)")
_LEVEL = re.compile(r"^(?:\[[^\]]+ @ 0x[0-9a-f]+\] )?\[(fatal|error|panic)\] (.*)$")
#: Warnings that mean part of the input is missing, not just oddly muxed.
_DAMAGE_WARNINGS = ("corrupt input packet", "partial file", "Packet corrupt")


@dataclass(frozen=True)
class Loudness:
    """EBU R128 figures as ffmpeg's loudnorm reports them for its input."""

    integrated_lufs: float
    true_peak_dbtp: float
    range_lu: float
    threshold_lufs: float
    offset_lu: float


@dataclass(frozen=True)
class Analysis:
    """What one measuring pass over a file found."""

    declared_duration_s: float | None
    decoded_duration_s: float
    loudness: Loudness
    silences: tuple[tuple[float, float], ...]
    problems: tuple[str, ...]


def _layout(profile: AudioProfile) -> str:
    return "mono" if profile.channels == 1 else "stereo"


def _loudnorm_targets(profile: AudioProfile, target_lufs: float, ceiling_dbtp: float) -> str:
    return f"loudnorm=I={target_lufs:.2f}:TP={ceiling_dbtp:.2f}:LRA={profile.loudness_range_lu:.1f}"


#: Headroom kept below the ceiling for the MP3 encoder's overshoot and intersample peaks.
CODEC_HEADROOM_DB = 1.0
#: Extra margin under the limiter, for what a sample-peak limiter lets through.
LIMITER_MARGIN_DB = 0.5
_LIMITER_FLOOR_DB = -24.0  # alimiter's lowest limit


def _prepare(profile: AudioProfile, trim: tuple[float, float] | None,
             limit_db: float | None) -> list[str]:
    """Common head of every graph: down-mix, trim, and the peak limiter if needed.

    Down-mixing to the profile's channels comes first, since loudness depends on
    the channel count and what is measured must be what is played.
    """
    parts = [f"aformat=sample_rates={MEASURE_RATE}:channel_layouts={_layout(profile)}"]
    if trim is not None:
        parts.append(f"atrim=start={trim[0]:.6f}:end={trim[1]:.6f},asetpts=PTS-STARTPTS")
    if limit_db is not None:
        parts.append(f"alimiter=limit={10 ** (limit_db / 20):.6f}:level=false:"
                     "attack=5:release=50:latency=true")
    return parts


def limiter_for(profile: AudioProfile, measured: Loudness, target_lufs: float,
                extra_headroom_db: float = 0.0) -> float | None:
    """Peak limit (dBFS, before gain) that lets one linear gain reach the target.

    Speech from phones often peaks near 0 dBFS at -20 LUFS: the gain it needs
    would clip, and loudnorm's own fallback (dynamic mode) then misses the
    target. Limiting those few peaks first keeps the normalisation linear.
    None when no limiting is needed.
    """
    gain = target_lufs - measured.integrated_lufs
    room = profile.true_peak_dbtp - CODEC_HEADROOM_DB - extra_headroom_db
    if measured.true_peak_dbtp + gain <= room:
        return None
    return max(_LIMITER_FLOOR_DB, min(0.0, room - gain - LIMITER_MARGIN_DB))


def measure_filter(profile: AudioProfile, detect_silence: bool,
                   trim: tuple[float, float] | None = None,
                   limit_db: float | None = None) -> str:
    """Filter graph of a measuring pass: sample count, silences, loudness."""
    parts = _prepare(profile, trim, limit_db)
    parts.append("astats=measure_perchannel=none:measure_overall=Number_of_samples")
    if detect_silence:
        parts.append(f"silencedetect=n={SILENCE_THRESHOLD_DB:g}dB:d={SILENCE_MIN_S:g}")
    parts.append(_loudnorm_targets(profile, profile.target_lufs, profile.true_peak_dbtp)
                 + ":print_format=json")
    return ",".join(parts)


def encode_filter(
    profile: AudioProfile,
    measured: Loudness,
    trim: tuple[float, float] | None,
    target_lufs: float,
    limit_db: float | None,
) -> str:
    """Filter graph of the converting pass: trim, limit, apply measured loudness, resample.

    `linear=true` applies one gain for the whole programme (no pumping); the
    measured values must be those of the same trimmed and limited signal.
    """
    parts = _prepare(profile, trim, limit_db)
    ceiling_dbtp = profile.true_peak_dbtp - CODEC_HEADROOM_DB + LIMITER_MARGIN_DB / 2
    parts.append(
        _loudnorm_targets(profile, target_lufs, ceiling_dbtp)
        + f":measured_I={_finite(measured.integrated_lufs):.2f}"
        + f":measured_TP={_finite(measured.true_peak_dbtp):.2f}"
        + f":measured_LRA={measured.range_lu:.2f}"
        + f":measured_thresh={_finite(measured.threshold_lufs):.2f}"
        + f":offset={measured.offset_lu:.2f}:linear=true"
    )
    # loudnorm works at 192 kHz internally: say the output rate explicitly.
    parts.append(f"aresample={profile.sample_rate}")
    return ",".join(parts)


def _finite(value: float) -> float:
    return value if math.isfinite(value) else -99.0


def parse_declared_duration(log: str) -> float | None:
    """Duration the container claims (first input), or None if it claims none."""
    match = _DURATION.search(log)
    if match is None:
        return None
    hours, minutes, seconds = match.groups()
    return int(hours) * 3600 + int(minutes) * 60 + float(seconds)


def parse_decoded_duration(log: str) -> float:
    """Seconds actually decoded, from astats' sample count at MEASURE_RATE."""
    counts = _SAMPLES.findall(log)
    return int(counts[-1]) / MEASURE_RATE if counts else 0.0


def parse_loudness(log: str) -> Loudness:
    """The JSON block loudnorm prints at the end of a pass."""
    start = log.rfind("{")
    end = log.find("}", start)
    if start < 0 or end < 0:
        raise ValueError("ffmpeg printed no loudness report")
    data = json.loads(log[start:end + 1])
    return Loudness(
        integrated_lufs=float(data["input_i"]),
        true_peak_dbtp=float(data["input_tp"]),
        range_lu=float(data["input_lra"]),
        threshold_lufs=float(data["input_thresh"]),
        offset_lu=float(data["target_offset"]),
    )


def parse_silences(log: str, total_s: float) -> tuple[tuple[float, float], ...]:
    """Silent stretches as (start, end); one still open at the end ends at total_s."""
    events: list[tuple[int, str, float]] = []
    for kind, pattern in (("start", _SILENCE_START), ("end", _SILENCE_END)):
        events += [(m.start(), kind, float(m.group(1))) for m in pattern.finditer(log)]
    events.sort()
    silences: list[tuple[float, float]] = []
    opened: float | None = None
    for _, kind, value in events:
        if kind == "start":
            opened = max(0.0, value)
        elif opened is not None:
            silences.append((opened, min(value, total_s)))
            opened = None
    if opened is not None:
        silences.append((opened, total_s))
    return tuple(silences)


def parse_problems(log: str) -> tuple[str, ...]:
    """Lines where ffmpeg says the input is broken (errors, and damage warnings)."""
    found = []
    for line in log.splitlines():
        match = _LEVEL.match(line)
        if match is not None:
            found.append(match.group(2).strip())
        elif any(word in line for word in _DAMAGE_WARNINGS):
            found.append(re.sub(r"^(\[[^\]]*\] )+", "", line).strip())
    return tuple(found)


def parse_analysis(log: str, detect_silence: bool) -> Analysis:
    """Everything a measuring pass reported."""
    decoded = parse_decoded_duration(log)
    return Analysis(
        declared_duration_s=parse_declared_duration(log),
        decoded_duration_s=decoded,
        loudness=parse_loudness(log),
        silences=parse_silences(log, decoded) if detect_silence else (),
        problems=parse_problems(log),
    )


def audible_span(silences: tuple[tuple[float, float], ...], total_s: float,
                 edge_tolerance_s: float = 0.02) -> tuple[float, float] | None:
    """Start and end of the programme once leading and trailing silence is cut.

    None means the whole file is silence.
    """
    start, end = 0.0, total_s
    for s_start, s_end in silences:
        if s_start <= edge_tolerance_s and s_end > start:
            start = s_end
        if s_end >= total_s - edge_tolerance_s and s_start < end:
            end = s_start
    if end - start <= 0.0:
        return None
    return start, end


def is_truncated(declared_s: float | None, decoded_s: float) -> bool:
    """True when the container promises clearly more audio than could be decoded."""
    if declared_s is None:
        return False
    return declared_s - decoded_s > max(0.5, 0.02 * declared_s)
