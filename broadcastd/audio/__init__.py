"""Audio library: import, normalise, catalogue and serve broadcast audio."""

from broadcastd.audio.catalogue import AudioEntry, Catalogue
from broadcastd.audio.errors import (
    AudioError,
    AudioToolMissing,
    CatalogueError,
    EmptyAudio,
    ImportRefused,
    LibraryWriteError,
    NameTaken,
    NotAudio,
    SilentAudio,
    TruncatedAudio,
)
from broadcastd.audio.profile import AudioProfile

__all__ = [
    "AudioEntry", "AudioError", "AudioProfile", "AudioToolMissing", "Catalogue",
    "CatalogueError", "EmptyAudio", "ImportRefused", "LibraryWriteError", "NameTaken",
    "NotAudio", "SilentAudio", "TruncatedAudio",
]
