"""HTTP byte ranges and ETag matching, as pure functions (RFC 9110)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_SINGLE = re.compile(r"^\s*bytes\s*=\s*(\d*)\s*-\s*(\d*)\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class ByteRange:
    """Inclusive first and last byte of a satisfiable range."""

    first: int
    last: int

    @property
    def length(self) -> int:
        """Number of bytes in the range."""
        return self.last - self.first + 1

    def content_range(self, size: int) -> str:
        """Value of the Content-Range header for this range."""
        return f"bytes {self.first}-{self.last}/{size}"


class Unsatisfiable(Exception):
    """The range asks for bytes the file does not have (answer 416)."""


def parse_range(header: str | None, size: int) -> ByteRange | None:
    """The single range asked for, or None to send the whole file.

    Multi-range and malformed headers are ignored (RFC 9110 allows serving the
    full file); a well-formed range past the end raises Unsatisfiable.
    """
    if not header:
        return None
    match = _SINGLE.match(header)
    if match is None:
        return None
    first_text, last_text = match.groups()
    if not first_text and not last_text:
        return None
    if not first_text:  # suffix range: the last N bytes
        suffix = int(last_text)
        if suffix == 0 or size == 0:
            raise Unsatisfiable()
        return ByteRange(max(0, size - suffix), size - 1)
    first = int(first_text)
    if last_text and int(last_text) < first:
        return None  # malformed: ignore it
    if first >= size:
        raise Unsatisfiable()
    last = int(last_text) if last_text else size - 1
    return ByteRange(first, min(last, size - 1))


def etag_matches(header: str | None, etag: str) -> bool:
    """If-None-Match against our strong ETag (weak comparison, '*' matches)."""
    if not header:
        return False
    wanted = etag.removeprefix("W/")
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or candidate.removeprefix("W/") == wanted:
            return True
    return False
