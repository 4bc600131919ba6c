"""`/reports`: plan vs actual over a range of days, as CSV or XLSX downloads."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response

from broadcastd.announce.model import InvalidRequest
from broadcastd.api.deps import ClockDep, StoreDep, ViewDep
from broadcastd.api.models import ErrorBody
from broadcastd.reports import (
    MAX_DAYS,
    Lang,
    ReportRefused,
    build_report,
    check_query,
    file_name,
    to_csv,
    to_xlsx,
)

router = APIRouter(prefix="/reports", tags=["reports"])

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

REFUSED: dict[int | str, dict[str, Any]] = {
    422: {
        "model": ErrorBody | InvalidRequest,
        "description": "A date that is not YYYY-MM-DD, `to` before `from`, more than "
        f"{MAX_DAYS} days, or a commune or area the timetables lack: the reason and the fix.",
    },
}

First = Annotated[str, Query(alias="from", description="First commune-local day, YYYY-MM-DD.",
                             examples=["2026-11-01"])]
Last = Annotated[str, Query(alias="to", description="Last commune-local day (included).",
                            examples=["2026-11-30"])]
Commune = Annotated[str | None, Query(description="Only this commune, e.g. `man-lan`.")]
Area = Annotated[str | None, Query(description="Only this area (khu), e.g. `ban-coc`.")]
Language = Annotated[Lang, Query(description="`vi` (default) or `en`: headers and words.")]


def _download(media: str, description: str) -> dict[str, Any]:
    """The route's answer: a file of `media`, or a refusal."""
    return {
        "response_class": Response,
        "responses": {
            200: {"content": {media.split(";")[0]: {"schema": {"type": "string",
                                                               "format": "binary"}}},
                  "description": description},
            **REFUSED,
        },
    }


@router.get(
    "/deliveries.csv",
    summary="Plan vs actual, one line per (broadcast, cluster), as CSV",
    **_download(CSV, "UTF-8 with a BOM; commune-local times."),
)
def deliveries_csv(
    store: StoreDep, view: ViewDep, now: ClockDep, first: First, last: Last,
    commune: Commune = None, area: Area = None, lang: Language = "vi",
) -> Response:
    """Columns: commune, area, cluster, broadcast id, slot, title, priority, planned start
    and end, outcome and its detail, first `received`, first `playing`, `finished`
    (commune-local times), sends. Vietnamese headers unless `lang=en`."""
    return _answer(store, view, now, first, last, commune, area, lang, "csv")


@router.get(
    "/deliveries.xlsx",
    summary="Plan vs actual as an Excel workbook: rows, per cluster, per day",
    **_download(XLSX, "Sheets: the rows, per cluster summary, per day totals."),
)
def deliveries_xlsx(
    store: StoreDep, view: ViewDep, now: ClockDep, first: First, last: Last,
    commune: Commune = None, area: Area = None, lang: Language = "vi",
) -> Response:
    """The same rows as the CSV, with times as Excel datetimes, and two summary sheets."""
    return _answer(store, view, now, first, last, commune, area, lang, "xlsx")


def _answer(
    store: StoreDep, view: ViewDep, now: ClockDep, first: str, last: str,
    commune: str | None, area: str | None, lang: Lang, suffix: str,
) -> Response:
    communes = view.topology()
    try:
        query = check_query(first, last, commune, area, communes)
    except ReportRefused as refused:
        raise HTTPException(422, str(refused)) from None  # the starlette name moved
    report = build_report(store, communes, query, now())
    body, media = (to_csv(report, lang), CSV) if suffix == "csv" else (to_xlsx(report, lang), XLSX)
    name = file_name(query, lang, suffix)
    return Response(
        body, media_type=media,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
