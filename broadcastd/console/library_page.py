"""The audio library page, `/library`: every catalogue item with its length, loudness,
size and the timetables that use it, a player for each, and (for operators) an upload.

An upload is streamed to a folder inside the library as it arrives, never held in
memory, and stops at `console.max_upload_mb`; then it goes through the same
`audio.importer.import_file` as `broadcastd audio add` (which takes the library's
lock), in a worker thread so the server keeps answering while ffmpeg works. The daemon
sees the new item at its next file check (the catalogue is one of the files it
watches, every 2 s), like an item added with the command.
"""

from __future__ import annotations

import shutil
import tempfile
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, BinaryIO
from urllib.parse import quote

import structlog
from fastapi import APIRouter, Depends, Request, status
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.requests import ClientDisconnect

from broadcastd.access import Role
from broadcastd.api.auth import Principal, require
from broadcastd.api.deps import ApiContext, ContextDep, Topology
from broadcastd.audio.catalogue import Catalogue, duration_text
from broadcastd.audio.errors import AudioError, CatalogueError, LibraryWriteError
from broadcastd.audio.files import TEMP_PREFIX
from broadcastd.audio.importer import ImportReport, import_file
from broadcastd.audio.profile import AudioProfile
from broadcastd.console import library_model as model
from broadcastd.console.form_stream import FormProblem, FormStream
from broadcastd.console.render import local_time, page_lang, render, signed_in, to_sign_in
from broadcastd.console.words import words
from broadcastd.store.users import SessionView
from broadcastd.timetable.loader import find_uses_of

log = structlog.get_logger(__name__)

PATH = "/library"
FORM_SLACK = 64 * 1024
"""Room for the form's other fields and boundaries beside the file itself."""
_REFUSAL_STATUS: Mapping[type[AudioError], int] = {
    model.UploadTooBig: status.HTTP_413_CONTENT_TOO_LARGE,
    model.UploadIncomplete: status.HTTP_400_BAD_REQUEST,
}


@dataclass(frozen=True)
class LibraryConfig:
    """What the page needs from the daemon's settings."""

    library_dir: Path
    schedules_dir: Path
    max_upload_bytes: int = 200 * 1024 * 1024
    profile: AudioProfile = field(default_factory=AudioProfile)

    @property
    def max_mb(self) -> str:
        return f"{self.max_upload_bytes / (1024 * 1024):g}"


@dataclass(frozen=True)
class _Upload:
    fields: dict[str, str]
    source: Path | None
    """The file as received, under its own name (the catalogue records it), or None."""
    size: int


def library_router(config: LibraryConfig) -> APIRouter:
    """GET /library for anyone signed in; POST /library (an upload) for operators."""
    router = APIRouter(include_in_schema=False)

    @router.get(PATH, response_class=HTMLResponse)
    def library_page(request: Request, context: ContextDep) -> Response:
        session = signed_in(request, context)
        if session is None:
            return to_sign_in(request)
        return _page(request, context, session, config,
                     highlight=request.query_params.get("added"))

    @router.post(PATH)
    async def upload(
        request: Request,
        context: ContextDep,
        who: Annotated[Principal, Depends(require(Role.OPERATOR))],
    ) -> Response:
        """The upload form (or its script): stream, import, then back to the list with the
        new item highlighted, or the form again with the refusal in the reader's words."""
        session = await run_in_threadpool(signed_in, request, context)
        form = model.UploadForm(max_mb=config.max_mb)
        try:
            received = await _receive(request, config)
            form = _form_of(received, config)
            report = await run_in_threadpool(_import, received, form, config)
        except AudioError as refused:
            log.warning("console upload refused", user=who.name, problem=str(refused))
            code = _REFUSAL_STATUS.get(type(refused), status.HTTP_422_UNPROCESSABLE_CONTENT)
            if session is None:  # a script with a token: the import's own words
                return JSONResponse({"detail": str(refused)}, code)
            return await run_in_threadpool(
                _page, request, context, session, config, form=form, code=code,
                problem=model.upload_problem(refused, words(page_lang(request)),
                                             form.name or "", config.max_mb),
                detail=str(refused),
            )
        entry = report.entry
        log.info("audio added from the console", user=who.name, name=entry.name,
                 title=entry.title, upload_bytes=received.size, duration_s=entry.duration_s,
                 loudness_lufs=entry.loudness_lufs)
        return RedirectResponse(f"{PATH}?added={quote(entry.name)}#item-{entry.name}",
                                status.HTTP_303_SEE_OTHER)

    return router


def _page(
    request: Request, context: ApiContext, session: SessionView, config: LibraryConfig, *,
    highlight: str | None = None, form: model.UploadForm | None = None, code: int = 200,
    problem: str | None = None, detail: str | None = None,
) -> HTMLResponse:
    """The list (and, for an operator, the form), read afresh from the catalogue."""
    topology = Topology(context.view.topology())
    lang = page_lang(request)
    w = words(lang)
    try:
        entries = Catalogue.load(config.library_dir).entries
    except CatalogueError as exc:
        entries = {}
        problem, detail = problem or w["library.problem.catalogue"], detail or str(exc)
    files = {entry.file for entry in entries.values()}
    items = model.library_items(
        entries, {file: _size(config.library_dir / file) for file in files},
        find_uses_of([config.schedules_dir], list(entries)), config.schedules_dir,
        local_time(context.now(), topology).tzinfo, w, lang, highlight,
    )
    added = entries.get(highlight or "")
    return render(
        request, "library.html", session, topology, context.now(), code,
        items=items,
        total=w["library.count"].format(
            count=len(items),
            total=duration_text(sum(e.duration_s for e in entries.values()))),
        added=w["library.added_notice"].format(title=added.title, name=added.name)
        if added else None,
        operator=Role(session.role).allows(Role.OPERATOR),
        form=form or model.UploadForm(max_mb=config.max_mb),
        max_bytes=config.max_upload_bytes,
        file_hint=w["library.file_hint"].format(max_mb=config.max_mb),
        too_big=w["library.problem.too_big"].format(max_mb=config.max_mb),
        problem=problem, detail=detail,
    )


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size if path.is_file() else None
    except OSError:
        return None


def _form_of(received: _Upload, config: LibraryConfig) -> model.UploadForm:
    """The form's values; an empty name is made from the title (as the page proposes),
    else from the file's name (as `broadcastd audio add` does)."""
    fields = received.fields
    title = fields.get("title", "").strip()
    stem = received.source.stem if received.source else ""
    name = fields.get("name", "").strip() or model.slug(title or stem)
    return model.UploadForm(name, title, fields.get("trim") == "on", config.max_mb)


async def _receive(request: Request, config: LibraryConfig) -> _Upload:
    """The form's fields, and its file written under the library as it arrives."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > config.max_upload_bytes + FORM_SLACK:
        raise model.UploadTooBig(f"the upload declares {declared} bytes; the limit is "
                                 f"{config.max_upload_bytes} (console.max_upload_mb)")
    try:
        form = FormStream(request.headers.get("content-type", ""))
    except FormProblem as exc:
        raise model.UploadIncomplete(f"{exc}; send the page's form") from None
    folder = await run_in_threadpool(_upload_folder, config.library_dir)
    out: BinaryIO | None = None
    size = 0
    try:
        try:
            async for chunk in request.stream():
                pieces = form.feed(chunk)
                if out is None and form.filename:
                    out = await run_in_threadpool(open, folder / _safe_name(form.filename),
                                                  "wb")
                size += sum(len(piece) for piece in pieces)
                if size > config.max_upload_bytes:
                    raise model.UploadTooBig(f"the file is over {config.max_upload_bytes} "
                                             "bytes (console.max_upload_mb)")
                if out is not None and pieces:
                    await run_in_threadpool(out.write, b"".join(pieces))
            form.close()
        except (FormProblem, ClientDisconnect) as exc:
            raise model.UploadIncomplete(f"the upload did not arrive whole: {exc}") from None
        except OSError as exc:  # the disk is full, or the folder not ours to write
            raise LibraryWriteError(f"storing the upload in {folder} failed "
                                    f"({exc.strerror or exc}); nothing was added") from None
        finally:
            if out is not None:
                await run_in_threadpool(out.close)
    except BaseException:
        await run_in_threadpool(shutil.rmtree, folder, True)
        raise
    source = folder / _safe_name(form.filename) if form.filename else None
    return _Upload(form.fields, source, size)


def _upload_folder(library_dir: Path) -> Path:
    """A fresh folder in the library (same disk as the result; a crash leaves it where
    `broadcastd audio check` reports leftovers of an interrupted import)."""
    try:
        library_dir.mkdir(parents=True, exist_ok=True)
        return Path(tempfile.mkdtemp(prefix=TEMP_PREFIX, dir=library_dir))
    except OSError as exc:
        raise LibraryWriteError(f"cannot write in {library_dir}: {exc.strerror or exc}; "
                                "nothing was added") from None


def _safe_name(filename: str) -> str:
    """The browser's file name without any folder part, for the catalogue's `source`."""
    name = unicodedata.normalize("NFC", filename.replace("\\", "/").rsplit("/", 1)[-1])
    name = "".join(ch for ch in name if ch.isprintable()).strip().lstrip(".")[:200]
    return name or "upload"


def _import(
    received: _Upload, form: model.UploadForm, config: LibraryConfig
) -> ImportReport:
    """`broadcastd audio add` on the received file (in a worker thread), then its folder
    goes, whatever happened."""
    try:
        if received.source is None:
            raise model.UploadIncomplete("the form carried no file")
        return import_file(received.source, config.library_dir, name=form.name or None,
                           title=form.title or None, trim_silence=form.trim,
                           profile=config.profile)
    finally:
        if received.source is not None:
            shutil.rmtree(received.source.parent, ignore_errors=True)
