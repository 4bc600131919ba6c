"""Catalogue names: the rule, and a default name made from a file name."""

from __future__ import annotations

import re
import unicodedata

from broadcastd.i18n import _
from broadcastd.ids import id_from_text

NAME_RULE = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
NAME_RULE_TEXT = _("lower-case a-z, 0-9 and '-', starting with a letter or digit, at most 63 long")


def is_valid_name(name: str) -> bool:
    """Whether `name` can be used as a catalogue name (and so in a timetable)."""
    return NAME_RULE.fullmatch(name) is not None


def name_from_filename(stem: str) -> str:
    """A catalogue name from a file name: 'Bản tin sáng' -> 'ban-tin-sang', so staff can
    type it in a timetable on any keyboard."""
    return id_from_text(stem)


def title_from_filename(stem: str) -> str:
    """A human title from a file name, keeping its diacritics (NFC for display)."""
    return unicodedata.normalize("NFC", stem.replace("_", " ")).strip()
