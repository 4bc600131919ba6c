"""`broadcastd audio say`: a written notice spoken into a catalogue item.

The speech is imported exactly like `broadcastd audio add` imports a recording
(speaker profile, R128 loudness, catalogue), and the item records `source: text`, the
text, the engine and the voice, so staff can see what it says.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import unicodedata
from pathlib import Path

from broadcastd.audio.catalogue import AudioEntry, Origin
from broadcastd.audio.importer import import_file
from broadcastd.audio.names import name_from_filename
from broadcastd.audio.profile import AudioProfile
from broadcastd.i18n import _
from broadcastd.speech.cache import Speaker, text_problem
from broadcastd.speech.engines import SpeechError

TITLE_CHARS = 60


def notice_text(args: argparse.Namespace) -> str:
    """The notice from --text, --text - (standard input) or --file, NFC, trimmed."""
    if args.file is not None:
        try:
            raw = args.file.read_text(encoding="utf-8-sig")
        except (OSError, UnicodeDecodeError) as exc:
            raise SpeechError(_("{file}: cannot be read as UTF-8 text ({error}); save it as "
                                "UTF-8 and try again").format(file=str(args.file),
                                                              error=str(exc))) from None
    elif args.text == "-":
        raw = sys.stdin.read()
    else:
        raw = args.text
    return unicodedata.normalize("NFC", raw).strip()


def default_title(text: str) -> str:
    """The beginning of the notice, cut at a word: what `audio list` shows."""
    first = " ".join(text.split())
    if len(first) <= TITLE_CHARS:
        return first
    return first[:TITLE_CHARS].rsplit(" ", 1)[0] + "…"


def say(args: argparse.Namespace, speaker: Speaker, profile: AudioProfile) -> AudioEntry:
    """Speak the notice and import it as a catalogue item; raises AudioError."""
    text = notice_text(args)
    problem = text_problem(text)
    if problem is not None:
        raise SpeechError(_("{problem}: give the notice with --text or --file").format(
            problem=problem))
    title = args.title or default_title(text)
    name = args.name or name_from_filename(title)
    engine, voice = speaker.engine.label
    with tempfile.TemporaryDirectory(prefix="broadcastd-say-") as work:
        wav = Path(work) / f"{name or 'speech'}.wav"
        speaker.engine.synthesise(speaker.normaliser(text), wav)
        report = import_file(wav, args.library, name=name, title=title, profile=profile,
                             origin=Origin("text", text, engine, voice))
    return report.entry
