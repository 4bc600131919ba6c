"""A section of docs/benchmarks.md that a bench of its own writes between two markers,
and that regenerating the page (`bench/docs.py`) carries over unchanged."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Section:
    begin: str
    end: str

    def write(self, path: Path, text: str) -> None:
        """Replace the section between the markers, or append it."""
        page = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n"
        if self.begin in page and self.end in page:
            head, _, rest = page.partition(self.begin)
            page = head + text.strip() + rest.partition(self.end)[2]
        else:
            page = page.rstrip() + "\n\n" + text
        path.write_text(page, encoding="utf-8")

    def kept(self, path: Path) -> str:
        """The section as the page holds it now, markers included ("" when absent)."""
        if not path.exists():
            return ""
        page = path.read_text(encoding="utf-8")
        if self.begin not in page or self.end not in page:
            return ""
        return self.begin + page.partition(self.begin)[2].partition(self.end)[0] + self.end + "\n"
