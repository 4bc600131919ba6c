"""Text bulletins: Vietnamese notices normalised, spoken by a local engine, kept in the
library (`normalise.py`, `numbers.py` pure; `engines.py`, `cache.py` at the edge)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from broadcastd.audio.errors import AudioError
from broadcastd.i18n import _, message_of
from broadcastd.speech.cache import MAX_TEXT_CHARS, Speaker, Speech
from broadcastd.speech.engines import SpeechEngineMissing, SpeechError, engine_from_settings
from broadcastd.speech.normalise import Normaliser
from broadcastd.timetable.checks import Unspoken

if TYPE_CHECKING:
    from broadcastd.settings import TtsSettings

__all__ = [
    "MAX_TEXT_CHARS", "Speaker", "Speech", "SpeechEngineMissing", "SpeechError",
    "speaker_from_settings", "text_lengths",
]


def speaker_from_settings(tts: TtsSettings, library_dir: Path) -> Speaker:
    """The speaker the config describes, keeping its speech in `library_dir`."""
    return Speaker(library_dir, engine_from_settings(tts), Normaliser(tts.abbreviations))


def text_lengths(speaker: Speaker) -> Callable[[str], float | Unspoken]:
    """The timetable loader's `speak`: each text spoken (or found cached) and its length,
    or why it cannot be spoken, for that file's problems; never an exception."""

    def speak(text: str) -> float | Unspoken:
        try:
            return speaker.speak(text).duration_s
        except SpeechEngineMissing as exc:
            return Unspoken(message_of(exc), _("install the speech engine, or correct `tts:` "
                                               "in the config; then run `broadcastd validate`"))
        except AudioError as exc:
            return Unspoken(message_of(exc), _("change the text, or check the speech engine "
                                               "with `broadcastd audio say --text ...`"))

    return speak
