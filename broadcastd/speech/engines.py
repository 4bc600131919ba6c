"""Speech engines behind one small interface: text in, a WAV file out.

Commune servers are often offline, so every engine runs on the server: espeak-ng
(Debian's package, with a Vietnamese voice) by default, or any local engine the
operator installs, run from a command template (piper with a Vietnamese model, for
example) that reads the text on stdin and writes the WAV named by `{wav}`.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from broadcastd.audio.errors import AudioError
from broadcastd.i18n import _

if TYPE_CHECKING:
    from broadcastd.settings import TtsSettings

#: A notice of 2,000 characters takes espeak-ng a few seconds; past this something hangs.
DEFAULT_TIMEOUT_S = 120.0


class SpeechError(AudioError):
    """Text could not be turned into speech; the message says what to do."""


class SpeechEngineMissing(SpeechError):
    """The configured engine's program is not installed."""


class SpeechEngine(Protocol):
    """Anything that can speak: its identity keys the cache, `synthesise` writes a WAV."""

    @property
    def identity(self) -> str:
        """Engine, voice and settings: a change of any means new speech."""
        ...

    @property
    def label(self) -> tuple[str, str]:
        """(engine, voice) as the catalogue records them."""
        ...

    def synthesise(self, text: str, wav: Path) -> None:
        """Speak `text` into the WAV file `wav`, or raise SpeechError."""
        ...


Which = Callable[[str], str | None]


def _run(argv: Sequence[str], text: str, timeout_s: float, what: str) -> None:
    try:
        done = subprocess.run(list(argv), input=text.encode("utf-8"), capture_output=True,
                              timeout=timeout_s, check=False)
    except subprocess.TimeoutExpired:
        raise SpeechError(_("{engine} did not finish within {seconds} s; shorten the text or "
                            "check the engine").format(engine=what,
                                                       seconds=f"{timeout_s:.0f}")) from None
    except OSError as exc:
        raise SpeechError(_("{engine} could not be started: {reason}").format(
            engine=what, reason=exc.strerror)) from None
    if done.returncode != 0:
        said = done.stderr.decode("utf-8", errors="replace").strip().splitlines()
        raise SpeechError(_("{engine} failed (exit {code}): {said}").format(
            engine=what, code=done.returncode, said=said[-1] if said else _("no message")))


@dataclass(frozen=True)
class EspeakEngine:
    """espeak-ng with a voice (`vi`) and a rate in words per minute."""

    voice: str = "vi"
    rate_wpm: int = 145
    timeout_s: float = DEFAULT_TIMEOUT_S
    which: Which = shutil.which

    @property
    def identity(self) -> str:
        return f"espeak-ng voice={self.voice} rate={self.rate_wpm}"

    @property
    def label(self) -> tuple[str, str]:
        return "espeak-ng", self.voice

    def synthesise(self, text: str, wav: Path) -> None:
        program = self.which("espeak-ng")
        if program is None:
            raise SpeechEngineMissing(_(
                "the speech engine espeak-ng is not installed: install it with "
                "`apt-get install espeak-ng` (Debian/Ubuntu), or set `tts.engine: command`"
            ))
        _run([program, "-v", self.voice, "-s", str(self.rate_wpm), "-w", str(wav), "--stdin"],
             text, self.timeout_s, _("espeak-ng (voice {voice})").format(voice=self.voice))


@dataclass(frozen=True)
class CommandEngine:
    """Any local engine: `command` is split like a shell line, `{wav}` replaced by the
    output file; the text goes to its standard input."""

    command: str
    voice: str = ""
    timeout_s: float = DEFAULT_TIMEOUT_S
    which: Which = shutil.which

    @property
    def identity(self) -> str:
        return f"command {self.command}"

    @property
    def label(self) -> tuple[str, str]:
        return "command", self.voice or shlex.split(self.command)[0]

    def synthesise(self, text: str, wav: Path) -> None:
        argv = [part.replace("{wav}", str(wav)) for part in shlex.split(self.command)]
        if self.which(argv[0]) is None:
            raise SpeechEngineMissing(_(
                "the speech engine `{program}` (tts.command) was not found: install it, "
                "or give its full path in tts.command"
            ).format(program=argv[0]))
        _run(argv, text, self.timeout_s,
             _("the speech command `{program}`").format(program=argv[0]))
        if not wav.is_file() or wav.stat().st_size == 0:
            raise SpeechError(_("the speech command `{program}` wrote no WAV to {{wav}}; "
                                "check that tts.command writes its output there").format(
                                    program=argv[0]))


def engine_from_settings(tts: TtsSettings) -> SpeechEngine:
    """The engine `tts:` in the config chooses."""
    if tts.engine == "command":
        assert tts.command is not None  # the settings refuse `command` without one
        return CommandEngine(tts.command, tts.voice, tts.timeout_s)
    return EspeakEngine(tts.voice, tts.rate, tts.timeout_s)
