"""The speaker profile: what every file in the library is converted to."""

from __future__ import annotations

from dataclasses import dataclass

SUPPORTED_FORMATS = ("mp3",)


@dataclass(frozen=True)
class AudioProfile:
    """Encoding and loudness targets; the daemon's config may override the defaults.

    Mono 44.1 kHz MP3 at 64 kbit/s is what the horn speakers decode and what a
    3G link fetches in seconds; -16 LUFS / -1.5 dBTP keeps programmes equally loud
    without clipping the amplifiers.
    """

    format: str = "mp3"
    channels: int = 1
    sample_rate: int = 44100
    bitrate_kbps: int = 64
    target_lufs: float = -16.0
    true_peak_dbtp: float = -1.5
    loudness_range_lu: float = 11.0

    def __post_init__(self) -> None:
        problems = []
        if self.format not in SUPPORTED_FORMATS:
            problems.append(f"format {self.format!r} is not supported (use one of "
                            f"{', '.join(SUPPORTED_FORMATS)})")
        if self.channels not in (1, 2):
            problems.append(f"channels must be 1 or 2, not {self.channels}")
        if not 8000 <= self.sample_rate <= 48000:
            problems.append(f"sample_rate {self.sample_rate} is outside 8000..48000 Hz")
        if not 16 <= self.bitrate_kbps <= 320:
            problems.append(f"bitrate_kbps {self.bitrate_kbps} is outside 16..320")
        if not -70.0 <= self.target_lufs <= -5.0:
            problems.append(f"target_lufs {self.target_lufs} is outside -70..-5")
        if not -9.0 <= self.true_peak_dbtp <= 0.0:
            problems.append(f"true_peak_dbtp {self.true_peak_dbtp} is outside -9..0")
        if not 1.0 <= self.loudness_range_lu <= 50.0:
            problems.append(f"loudness_range_lu {self.loudness_range_lu} is outside 1..50")
        if problems:
            raise ValueError("audio profile: " + "; ".join(problems))

    @property
    def extension(self) -> str:
        """File extension of library files in this profile."""
        return self.format
