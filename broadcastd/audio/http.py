"""Serving library files to the speakers: GET and HEAD /audio/<sha256>.mp3.

Only files named `<64 hex>.mp3` that the catalogue (its items, the files it retired
after a replace, or the speech cache of `text:` items, `speech/`) refers to are served, and
only as regular files directly inside the library (no symlinks): the catalogue
is the one list of what may go out, and nothing else in the directory leaks.
Speakers on 3G resume with Range requests and verify the sha256, which is also
the strong ETag.
"""

from __future__ import annotations

import hashlib
import logging
import os
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response, StreamingResponse

from broadcastd.audio.catalogue import CATALOGUE_FILE, FILE_RULE, Catalogue
from broadcastd.audio.errors import CatalogueError
from broadcastd.audio.ranges import Unsatisfiable, etag_matches, parse_range
from broadcastd.speech.cache import SPEECH_DIR, cached_files

log = logging.getLogger(__name__)

MEDIA_TYPE = "audio/mpeg"
_CHUNK = 64 * 1024
# Content-addressed: a name never changes content, so caches may keep it forever.
_CACHE_CONTROL = "public, max-age=31536000, immutable"


@dataclass(frozen=True)
class _Opened:
    fd: int
    size: int
    sha256: str


class ServedLibrary:
    """The library as the HTTP endpoint sees it, with cheap re-reads of the catalogue."""

    def __init__(self, library_dir: Path) -> None:
        self.library_dir = Path(library_dir)
        self._lock = threading.Lock()
        self._catalogue_key: tuple[int, ...] | None = None
        self._files: frozenset[str] = frozenset()
        self._verified: dict[str, tuple[int, int, int]] = {}

    def served_files(self) -> frozenset[str]:
        """File names in the catalogue (retired ones included: a broadcast sent before a
        replace still fetches them) and the speech cache, re-read only when either
        changes (a new cache entry changes its folder's modification time)."""
        key = _stat_key(self.library_dir / CATALOGUE_FILE) + _stat_key(
            self.library_dir / SPEECH_DIR
        )
        with self._lock:
            if key != self._catalogue_key:
                self._files = frozenset(Catalogue.load(self.library_dir).served_files()) | (
                    cached_files(self.library_dir)
                )
                self._catalogue_key = key
            return self._files

    def open(self, name: str) -> _Opened | None:
        """Open a servable file, or None; the caller closes the descriptor."""
        if not FILE_RULE.fullmatch(name) or name not in self.served_files():
            return None
        try:
            fd = os.open(self.library_dir / name, os.O_RDONLY | os.O_NOFOLLOW)
        except OSError:  # missing, or a symlink (ELOOP)
            return None
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            return None
        sha = name.removesuffix(".mp3")
        key = (st.st_ino, st.st_mtime_ns, st.st_size)
        if self._verified.get(name) != key:
            if _sha256_fd(fd) != sha:
                os.close(fd)
                log.error("library file %s does not match its sha256; run "
                          "`broadcastd audio check`", name)
                return None
            self._verified[name] = key
        return _Opened(fd, st.st_size, sha)


def _stat_key(path: Path) -> tuple[int, int, int]:
    try:
        st = path.stat()
    except FileNotFoundError:
        return (0, 0, 0)
    return (st.st_ino, st.st_mtime_ns, st.st_size)


def _sha256_fd(fd: int) -> str:
    digest, offset = hashlib.sha256(), 0
    while chunk := os.pread(fd, 1 << 20, offset):
        digest.update(chunk)
        offset += len(chunk)
    return digest.hexdigest()


def _read_range(fd: int, first: int, length: int) -> Iterator[bytes]:
    """Yield the bytes of one range and close the file when done or abandoned."""
    try:
        offset, left = first, length
        while left > 0:
            chunk = os.pread(fd, min(_CHUNK, left), offset)
            if not chunk:
                break
            offset += len(chunk)
            left -= len(chunk)
            yield chunk
    finally:
        os.close(fd)


_SUMMARY = "A normalised library file, with Range and ETag support"
_AUDIO: dict[str, Any] = {MEDIA_TYPE: {"schema": {"type": "string", "format": "binary"}}}
_TEXT: dict[str, Any] = {"text/plain": {"schema": {"type": "string"}}}
_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {"content": _AUDIO, "description": "The whole file."},
    206: {"content": _AUDIO, "description": "The range asked for (`Range`)."},
    304: {"description": "The speaker's copy is current (`If-None-Match`)."},
    404: {"content": _TEXT, "description": "No such file in the catalogue."},
    416: {"content": _TEXT, "description": "The range lies outside the file."},
    503: {"content": _TEXT, "description": "The catalogue cannot be read."},
}


def audio_router(library_dir: Path) -> APIRouter:
    """Router with GET and HEAD /audio/{file} for the library at `library_dir`."""
    library = ServedLibrary(library_dir)
    router = APIRouter()

    @router.get("/audio/{file}", response_class=Response, responses=_RESPONSES,
                operation_id="get_audio", summary=_SUMMARY)
    @router.head("/audio/{file}", response_class=Response, responses=_RESPONSES,
                 operation_id="head_audio", summary=_SUMMARY)
    def serve_audio(file: str, request: Request) -> Response:
        """Open to anyone: the speakers hold no token, and the name is the file's sha256."""
        try:
            opened = library.open(file)
        except CatalogueError as exc:
            log.error("cannot serve audio: %s", exc)
            return PlainTextResponse("audio catalogue unreadable\n", status_code=503)
        if opened is None:
            return PlainTextResponse("not found\n", status_code=404)
        return _respond(opened, request)

    return router


def _respond(opened: _Opened, request: Request) -> Response:
    etag = f'"{opened.sha256}"'
    headers = {"ETag": etag, "Accept-Ranges": "bytes", "Cache-Control": _CACHE_CONTROL}
    if etag_matches(request.headers.get("if-none-match"), etag):
        os.close(opened.fd)
        return Response(status_code=304, headers=headers)
    range_header = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if if_range is not None and if_range.strip() != etag:
        range_header = None  # the speaker's partial copy is of another file: send all
    try:
        wanted = parse_range(range_header, opened.size)
    except Unsatisfiable:
        os.close(opened.fd)
        headers["Content-Range"] = f"bytes */{opened.size}"
        return PlainTextResponse("range not satisfiable\n", status_code=416, headers=headers)
    status, first, length = 200, 0, opened.size
    if wanted is not None:
        status, first, length = 206, wanted.first, wanted.length
        headers["Content-Range"] = wanted.content_range(opened.size)
    headers["Content-Length"] = str(length)
    if request.method == "HEAD":
        os.close(opened.fd)
        return Response(status_code=status, headers=headers, media_type=MEDIA_TYPE)
    return StreamingResponse(_read_range(opened.fd, first, length), status_code=status,
                             headers=headers, media_type=MEDIA_TYPE)
