"""Fixtures for text bulletins: a library, and the real espeak-ng counted as it speaks."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import pytest

from broadcastd.speech.cache import Speaker
from broadcastd.speech.engines import EspeakEngine, SpeechEngine


@dataclass
class CountedEngine:
    """A real engine, with a count of how often it was asked to speak."""

    engine: SpeechEngine = field(default_factory=EspeakEngine)
    calls: int = 0

    @property
    def identity(self) -> str:
        return self.engine.identity

    @property
    def label(self) -> tuple[str, str]:
        return self.engine.label

    def synthesise(self, text: str, wav: Path) -> None:
        self.calls += 1
        self.engine.synthesise(text, wav)


@pytest.fixture
def library(tmp_path: Path) -> Path:
    path = tmp_path / "audio_library"
    path.mkdir()
    return path


@pytest.fixture
def espeak() -> CountedEngine:
    return CountedEngine()


@pytest.fixture
def speaker(library: Path, espeak: CountedEngine) -> Speaker:
    return Speaker(library, espeak)
