"""Speech kept in the library: each text spoken once, however often it is loaded.

A `text:` item is synthesised when its timetable (or announcement) is loaded, converted
through the same import pipeline as `broadcastd audio add` (speaker profile, R128
loudness) into `<sha256>.mp3` in the library, and remembered in
`speech/<key>.json`, where the key is the sha256 of (engine and voice, the text as
spoken, the profile). The same text is never synthesised twice, across restarts
too; a change of engine, voice, abbreviations or profile makes new speech.
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

from broadcastd.audio.catalogue import write_atomically
from broadcastd.audio.ffmpeg import AudioTools, locate_tools
from broadcastd.audio.files import library_lock
from broadcastd.audio.importer import convert_into_library
from broadcastd.audio.profile import AudioProfile
from broadcastd.i18n import Text, _
from broadcastd.speech.engines import SpeechEngine, SpeechError
from broadcastd.speech.normalise import Normaliser

SPEECH_DIR = "speech"
#: Longest text item: about two and a half minutes of speech, a long notice. Longer
#: bulletins are better recorded (or split into several items).
MAX_TEXT_CHARS = 2000


@dataclass(frozen=True)
class Speech:
    """A text spoken into a library file: what the play payload and the checks need."""

    file: str
    sha256: str
    duration_s: float
    loudness_lufs: float
    true_peak_dbtp: float
    engine: str
    voice: str
    text: str
    spoken: str
    """The text after normalisation: what the engine was given."""


def text_problem(text: str) -> Text | None:
    """Why a text cannot be spoken as it is (empty, too long), or None."""
    if not text.strip():
        return _("the text is empty")
    if len(text) > MAX_TEXT_CHARS:
        return _(
            "the text has {count} characters, more than {limit} (about two and a half "
            "minutes of speech)"
        ).format(count=f"{len(text):,}", limit=f"{MAX_TEXT_CHARS:,}")
    return None


def cached_files(library_dir: Path) -> frozenset[str]:
    """Library files that hold cached speech (served to speakers like catalogue items)."""
    folder = Path(library_dir) / SPEECH_DIR
    found: set[str] = set()
    for path in folder.glob("*.json") if folder.is_dir() else ():
        speech = _read(path)
        if speech is not None:
            found.add(speech.file)
    return frozenset(found)


def _read(path: Path) -> Speech | None:
    try:
        return Speech(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None  # missing or damaged: speak it again


class Speaker:
    """Text to speech in the library: normalise, synthesise once, convert, remember."""

    def __init__(
        self,
        library_dir: Path,
        engine: SpeechEngine,
        normaliser: Normaliser | None = None,
        profile: AudioProfile | None = None,
        tools: Callable[[], AudioTools] = locate_tools,
    ) -> None:
        self.library_dir = Path(library_dir)
        self.engine = engine
        self.normaliser = normaliser or Normaliser()
        self.profile = profile or AudioProfile()
        self._tools = tools

    def key(self, text: str) -> str:
        """The cache key of a text: engine and voice, the words spoken, the profile."""
        content = {"engine": self.engine.identity, "spoken": self.normaliser(text),
                   "profile": asdict(self.profile)}
        return hashlib.sha256(json.dumps(content, sort_keys=True).encode()).hexdigest()

    def _entry_path(self, text: str) -> Path:
        return self.library_dir / SPEECH_DIR / f"{self.key(text)}.json"

    def lookup(self, text: str) -> Speech | None:
        """The cached speech of a text whose file is in the library, or None (no synthesis)."""
        speech = _read(self._entry_path(text))
        if speech is None or not (self.library_dir / speech.file).is_file():
            return None
        return speech

    def speak(self, text: str) -> Speech:
        """The speech of `text`, synthesised and converted only if not cached yet.

        Raises SpeechError (engine missing or failing, text empty or too long) or
        another AudioError (the engine's output was silent, the disk is full).
        """
        problem = text_problem(text)
        if problem is not None:
            raise SpeechError(_("{problem}; write the notice in at most {limit} characters, or "
                                "split it into several items").format(
                                    problem=problem, limit=f"{MAX_TEXT_CHARS:,}"))
        cached = self.lookup(text)
        if cached is not None:
            return cached
        with library_lock(self.library_dir):
            cached = self.lookup(text)  # another process may have spoken it meanwhile
            if cached is not None:
                return cached
            return self._synthesise(text)

    def _synthesise(self, text: str) -> Speech:
        spoken = self.normaliser(text)
        engine, voice = self.engine.label
        with tempfile.TemporaryDirectory(prefix="broadcastd-speech-") as work:
            wav = Path(work) / "speech.wav"
            self.engine.synthesise(spoken, wav)
            stored = convert_into_library(self._tools(), wav, self.library_dir, self.profile)
        loudness = stored.output.loudness
        speech = Speech(
            file=stored.path.name, sha256=stored.sha256,
            duration_s=round(stored.output.decoded_duration_s, 2),
            loudness_lufs=round(loudness.integrated_lufs, 1),
            true_peak_dbtp=round(loudness.true_peak_dbtp, 1),
            engine=engine, voice=voice, text=text, spoken=spoken,
        )
        entry = self._entry_path(text)
        entry.parent.mkdir(parents=True, exist_ok=True)
        write_atomically(entry, json.dumps(asdict(speech), ensure_ascii=False,
                                           indent=1).encode("utf-8"))
        return speech
