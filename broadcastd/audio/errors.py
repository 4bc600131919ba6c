"""Errors of the audio library, each worded for the commune staff who see them."""

from __future__ import annotations


class AudioError(Exception):
    """Base of every audio library error; the message says what to do."""


class AudioToolMissing(AudioError):
    """Neither a system ffmpeg nor the imageio-ffmpeg build could be found."""


class FfmpegFailed(AudioError):
    """ffmpeg ran but failed for a reason that is not the input's fault."""


class CatalogueError(AudioError):
    """The catalogue file cannot be read; the message names file and line."""


class ImportRefused(AudioError):
    """An import was refused; the library and catalogue were left as they were."""


class NotAudio(ImportRefused):
    """The file is not something ffmpeg can decode as audio."""


class EmptyAudio(ImportRefused):
    """The file is empty (zero bytes, or no audio samples)."""


class TruncatedAudio(ImportRefused):
    """The file is damaged or cut short: part of the programme is missing."""


class SilentAudio(ImportRefused):
    """The file holds only silence: nothing the speakers could make heard."""


class NameTaken(ImportRefused):
    """The catalogue name is already used by another item."""


class InvalidName(ImportRefused):
    """The catalogue name does not follow the naming rule."""


class LibraryWriteError(ImportRefused):
    """Writing to the library failed (disk full, permissions); nothing was kept."""


class NothingToReplace(ImportRefused):
    """`--replace` names no existing item."""


class ReplaceRefused(ImportRefused):
    """The new recording would make a timetable that plays the item break."""
