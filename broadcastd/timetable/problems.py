"""What is wrong with a timetable, said for the commune officials who edit it.

A `Finding` is what a pure rule knows: where in the model (a key path) and what to
do. The loader turns it into a `Problem` by adding the file and the line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

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
        where = f"{self.file}:{self.line}" if self.line is not None else str(self.file)
        key = f" {self.key_path}:" if self.key_path else ""
        label = "warning: " if self.severity == "warning" else ""
        return f"{where}:{key} {label}{self.message}. Fix: {self.fix}"

    def sort_key(self) -> tuple[str, int, str]:
        return (str(self.file), self.line or 0, self.key_path)
