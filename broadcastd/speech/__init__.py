"""Text bulletins: Vietnamese notices normalised, spoken by a local engine, kept in the
library (`normalise.py`, `numbers.py` pure; `engines.py`, `cache.py` at the edge)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from broadcastd.speech.cache import MAX_TEXT_CHARS, Speaker, Speech
from broadcastd.speech.engines import SpeechEngineMissing, SpeechError, engine_from_settings
from broadcastd.speech.normalise import Normaliser

if TYPE_CHECKING:
    from broadcastd.settings import TtsSettings

__all__ = [
    "MAX_TEXT_CHARS", "Speaker", "Speech", "SpeechEngineMissing", "SpeechError",
    "speaker_from_settings",
]


def speaker_from_settings(tts: TtsSettings, library_dir: Path) -> Speaker:
    """The speaker the config describes, keeping its speech in `library_dir`."""
    return Speaker(library_dir, engine_from_settings(tts), Normaliser(tts.abbreviations))
