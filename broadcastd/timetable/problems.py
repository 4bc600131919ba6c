"""What is wrong with a timetable, said for the commune officials who edit it.

A `Finding` is what a pure rule knows: where in the model (a key path) and what to
do. The loader turns it into a `Problem` by adding the file and the line. Messages and
fixes are `Text`s: English as strings (logs, tests), and said in Vietnamese or English
by whoever shows them (`Problem.said(lang)`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from broadcastd.i18n import Language, Text, _, say
from broadcastd.timetable.source import KeyPath

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Finding:
    """A problem at a key path of one timetable, before lines are known."""

    path: KeyPath
    message: str
    fix: str
    severity: Severity = "error"


@dataclass(frozen=True)
class Problem:
    """One error or warning, with file, line, key path and the fix, in plain words."""

    file: Path
    line: int | None
    key_path: str
    message: str
    fix: str
    severity: Severity = "error"

    def __str__(self) -> str:
        """The whole line in English, which `say(str(problem), lang)` also renders in
        another language (the daemon keeps problems as such strings)."""
        return self.text()

    def text(self) -> Text:
        """The whole line as a message: file:line: key path: message. Fix: fix."""
        where = f"{self.file}:{self.line}" if self.line is not None else str(self.file)
        key = f" {self.key_path}:" if self.key_path else ""
        if self.severity == "warning":
            line = _("{where}:{key} warning: {message}. Fix: {fix}")
        else:
            line = _("{where}:{key} {message}. Fix: {fix}")
        return line.format(where=where, key=key, message=self.message, fix=self.fix)

    def said(self, lang: Language) -> str:
        """The whole line in `lang`."""
        rendered: str = say(self.text(), lang)
        return rendered

    def sort_key(self) -> tuple[str, int, str]:
        return (str(self.file), self.line or 0, self.key_path)


class RuleBroken(ValueError):
    """A model's rule refused a value: what is wrong and the fix, as messages.

    Raised inside pydantic validators; pydantic keeps the exception in the error's
    context, so the explainer tells both halves in the reader's language. Its English
    text stays `message; fix`, as a plain ValueError's would."""

    def __init__(self, message: Text, fix: Text) -> None:
        super().__init__(f"{message}; {fix}")
        self.message = message
        self.fix = fix
