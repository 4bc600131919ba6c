"""A multipart/form-data body read as it arrives: small text fields kept, the one file's
bytes handed on chunk by chunk.

An audio upload may be hundreds of megabytes. Starlette's `request.form()` would spool it
whole before anyone could check its size, and the CSRF middleware reading the body for
the form's `csrf` field would hold it in memory as well. With this reader the middleware
reads only the fields ahead of the file (a form puts its hidden `csrf` input first), and
the upload route writes the file to disk as it comes, stopping at the size limit.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.types import Message, Receive

MULTIPART = "multipart/form-data"
MAX_FIELD_BYTES = 4096
"""A text field longer than this is refused: names, titles and tokens are short."""
MAX_FIELDS = 32


class FormProblem(ValueError):
    """The body is not a form this reader accepts (no boundary, damaged, too many
    fields, a field too long, a second file)."""


def is_multipart(content_type: str | None) -> bool:
    return (content_type or "").lower().startswith(MULTIPART)


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str = ""
    filename: str | None = None
    data: bytearray = field(default_factory=bytearray)


class FormStream:
    """Feed it the body's chunks; read `fields`, `filename`, and the file's bytes that
    each `feed` returns. Text fields must be small; at most one part may be a file."""

    def __init__(self, content_type: str) -> None:
        _, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if not is_multipart(content_type) or not boundary:
            raise FormProblem("not a multipart/form-data body with a boundary")
        self.fields: dict[str, str] = {}
        self.filename: str | None = None
        """The file part's name as the browser sent it, once its headers are read."""
        self.done = False
        self._part = _Part()
        self._header = (bytearray(), bytearray())
        self._file_bytes: list[bytes] = []
        self._parser = MultipartParser(boundary, {
            "on_part_begin": self._begin,
            "on_header_field": lambda d, s, e: self._header[0].extend(d[s:e]),
            "on_header_value": lambda d, s, e: self._header[1].extend(d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._end,
            "on_end": self._finish,
        })

    @property
    def in_file(self) -> bool:
        """The file part has begun: every field before it is known."""
        return self.filename is not None

    def feed(self, chunk: bytes) -> list[bytes]:
        """Parse one chunk; the file's bytes found in it, in order."""
        try:
            self._parser.write(chunk)
        except FormParserError as exc:
            raise FormProblem(f"damaged form data ({exc})") from None
        found, self._file_bytes = self._file_bytes, []
        return found

    def close(self) -> None:
        """The body has ended; FormProblem if it ended inside a part."""
        try:
            self._parser.finalize()
        except FormParserError as exc:
            raise FormProblem(f"damaged form data ({exc})") from None
        if not self.done:
            raise FormProblem("the form data ended early (the upload was cut off)")

    def _begin(self) -> None:
        self._part = _Part()

    def _header_end(self) -> None:
        name, value = self._header
        self._part.headers[bytes(name).lower()] = bytes(value)
        self._header = (bytearray(), bytearray())

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._part.headers.get(b"content-disposition", b""))
        self._part.name = options.get(b"name", b"").decode("utf-8", "replace")
        if b"filename" in options:
            if self.filename is not None:
                raise FormProblem("only one file may be sent at a time")
            self._part.filename = options[b"filename"].decode("utf-8", "replace")
            self.filename = self._part.filename
        elif len(self.fields) >= MAX_FIELDS:
            raise FormProblem("too many form fields")

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._part.filename is not None:
            self._file_bytes.append(data[start:end])
            return
        self._part.data.extend(data[start:end])
        if len(self._part.data) > MAX_FIELD_BYTES:
            raise FormProblem(f"the form field {self._part.name!r} is too long")

    def _end(self) -> None:
        if self._part.filename is None:
            self.fields[self._part.name] = self._part.data.decode("utf-8", "replace")

    def _finish(self) -> None:
        self.done = True


LEADING_LIMIT = 64 * 1024
"""How much of a multipart body is read looking for the fields ahead of the file."""


async def leading_fields(
    content_type: str, receive: Receive, limit: int = LEADING_LIMIT
) -> tuple[dict[str, str], Receive]:
    """The text fields a multipart body carries ahead of its file (or of `limit` bytes),
    and a `receive` that gives the app behind the whole body again: what was read, then
    the rest straight from the client. Nothing past the fields is held."""
    read: list[Message] = []
    seen = 0
    try:
        form: FormStream | None = FormStream(content_type)
    except FormProblem:
        form = None
    while form is not None and not (form.in_file or form.done) and seen < limit:
        message = await receive()
        read.append(message)
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        seen += len(chunk)
        try:
            form.feed(chunk)
        except FormProblem:
            break
        if not message.get("more_body", False):
            break
    fields = dict(form.fields) if form is not None else {}

    async def replayed() -> Message:
        if read:
            return read.pop(0)
        return await receive()

    return fields, replayed
