"""Finding and running ffmpeg.

The system's ffmpeg is preferred (distribution security updates); the wheel
build from imageio-ffmpeg keeps a pip-only install working. That build ships no
ffprobe, so nothing essential here needs one: ffmpeg itself measures and probes.
"""

from __future__ import annotations

import shutil
import subprocess
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from broadcastd.audio.errors import AudioToolMissing, FfmpegFailed
from broadcastd.i18n import _

INSTALL_HINT = _(
    "install one with `apt-get install ffmpeg` (Debian/Ubuntu) "
    "or `pip install imageio-ffmpeg`"
)


@dataclass(frozen=True)
class AudioTools:
    """The ffmpeg (and, if any, ffprobe) this process uses, and where they came from."""

    ffmpeg: Path
    ffprobe: Path | None
    origin: str  # "system" or "imageio-ffmpeg"


def _bundled_ffmpeg() -> str | None:
    """The ffmpeg binary inside the imageio-ffmpeg wheel, if that package is installed."""
    try:
        import imageio_ffmpeg
    except ImportError:
        return None
    try:
        exe = imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError:  # package present but its binary is missing for this platform
        return None
    return str(exe) if exe else None


def locate_tools(
    which: Callable[[str], str | None] = shutil.which,
    bundled: Callable[[], str | None] = _bundled_ffmpeg,
) -> AudioTools:
    """Find ffmpeg: system PATH first, then imageio-ffmpeg, else a clear error."""
    system = which("ffmpeg")
    if system:
        probe = which("ffprobe")
        return AudioTools(Path(system), Path(probe) if probe else None, "system")
    wheel = bundled()
    if wheel and Path(wheel).is_file():
        return AudioTools(Path(wheel), None, "imageio-ffmpeg")
    raise AudioToolMissing(_("ffmpeg was not found on PATH nor in imageio-ffmpeg: {hint}").format(
        hint=INSTALL_HINT))


def configure_pydub(tools: AudioTools) -> None:
    """Point pydub at our ffmpeg, since pydub itself only looks on PATH."""
    with warnings.catch_warnings():
        # pydub warns at import time when PATH has no ffmpeg; we are about to fix that.
        warnings.simplefilter("ignore", RuntimeWarning)
        from pydub import AudioSegment
    AudioSegment.converter = str(tools.ffmpeg)
    if tools.ffprobe is not None:
        AudioSegment.ffprobe = str(tools.ffprobe)


@dataclass(frozen=True)
class FfmpegRun:
    """What one ffmpeg run said: exit code and its log (with level prefixes)."""

    returncode: int
    log: str


def run_ffmpeg(tools: AudioTools, args: Sequence[str]) -> FfmpegRun:
    """Run ffmpeg with a level-tagged log on stderr and no stdin.

    Audio streams from file to file inside ffmpeg; only the log comes back into
    Python, so memory stays flat however long the programme is.
    """
    cmd = [str(tools.ffmpeg), "-hide_banner", "-nostdin", "-nostats",
           "-loglevel", "level+info", *args]
    try:
        done = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, check=False)
    except OSError as exc:
        raise FfmpegFailed(_("could not start {tool}: {error}; {hint}").format(
            tool=str(tools.ffmpeg), error=str(exc), hint=INSTALL_HINT)) from exc
    return FfmpegRun(done.returncode, done.stderr.decode("utf-8", errors="replace"))
