"""The report as files: CSV (UTF-8 with a BOM, so Excel shows Vietnamese right) and XLSX
(rows, per cluster, per day; bold frozen headers, real Excel datetimes)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

from broadcastd.reports.build import DeliveryRow, Report, ReportQuery, Tally
from broadcastd.reports.words import (
    ALL_COMMUNES,
    CLUSTER_COLUMNS,
    COUNT_COLUMNS,
    DAY_COLUMNS,
    FILE_STEM,
    ROW_COLUMNS,
    SHEETS,
    Lang,
    headers,
    outcome_word,
)
from broadcastd.timetable.priority import priority_name

TIME_TEXT = "%Y-%m-%d %H:%M:%S"
"""Commune-local time in the CSV: no offset, which spreadsheets read as a date and time."""
EXCEL_TIME = "yyyy-mm-dd hh:mm:ss"
EXCEL_DATE = "yyyy-mm-dd"
EXCEL_SHARE = "0.0%"

ROW_WIDTHS = (12, 12, 12, 30, 12, 30, 11, 20, 20, 16, 40, 20, 20, 20, 10)
CLUSTER_WIDTHS = (12, 12, 12, *(14,) * len(COUNT_COLUMNS))
DAY_WIDTHS = (12, *(14,) * len(COUNT_COLUMNS))


def file_name(query: ReportQuery, lang: Lang, suffix: str) -> str:
    """`bao-cao-man-lan-2026-11-01_2026-11-30.csv` (`report-...` in English)."""
    parts = [FILE_STEM[lang], query.commune or ALL_COMMUNES[lang]]
    if query.area is not None:
        parts.append(query.area)
    return f"{'-'.join(parts)}-{query.first}_{query.last}.{suffix}"


def to_csv(report: Report, lang: Lang = "vi") -> bytes:
    """One line per delivery, the header first."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers(ROW_COLUMNS, lang))
    for row in report.rows:
        writer.writerow(_text(value) for value in _row_values(row, lang))
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(report: Report, lang: Lang = "vi") -> bytes:
    """Sheet 1 the rows, sheet 2 per cluster, sheet 3 per day; streamed (write-only)."""
    book = Workbook(write_only=True)
    rows_title, clusters_title, days_title = SHEETS[lang]
    sheet = _sheet(book, rows_title, headers(ROW_COLUMNS, lang), ROW_WIDTHS)
    for row in report.rows:
        sheet.append([_excel(value, sheet) for value in _row_values(row, lang)])
    sheet = _sheet(book, clusters_title, headers(CLUSTER_COLUMNS, lang), CLUSTER_WIDTHS)
    for summary in report.clusters():
        sheet.append([summary.commune, summary.area or "", summary.cluster,
                      *_counts(sheet, summary.tally)])
    sheet = _sheet(book, days_title, headers(DAY_COLUMNS, lang), DAY_WIDTHS)
    for total in report.days():
        day = WriteOnlyCell(sheet, value=total.date)
        day.number_format = EXCEL_DATE
        sheet.append([day, *_counts(sheet, total.tally)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _row_values(row: DeliveryRow, lang: Lang) -> Iterator[Any]:
    yield row.commune
    yield row.area or ""
    yield row.cluster
    yield row.broadcast_id
    yield row.slot
    yield row.title
    yield priority_name(row.priority)
    yield row.start
    yield row.end
    yield outcome_word(row.outcome, lang)
    yield row.detail
    yield row.received
    yield row.playing
    yield row.finished
    yield row.sends


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""What makes a spreadsheet read a cell as a formula: a title typed by an operator must
stay text (OWASP's CSV injection)."""


def _text(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime(TIME_TEXT)
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return "" if value is None else value


def _excel(value: Any, sheet: WriteOnlyWorksheet) -> Any:
    """Excel has no time zones: the commune-local wall time, which is what people read.
    Text that looks like a formula is written as text (openpyxl would make it one)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(sheet, value=value)
        cell.data_type = "s"
        return cell
    return value


def _counts(sheet: WriteOnlyWorksheet, tally: Tally) -> list[Any]:
    values: list[Any] = [tally.count(key) for key, _, _ in COUNT_COLUMNS[:-1]]
    share = WriteOnlyCell(sheet, value=tally.share_played)
    share.number_format = EXCEL_SHARE
    return [*values, share]


def _sheet(
    book: Workbook, title: str, names: list[str], widths: tuple[int, ...]
) -> WriteOnlyWorksheet:
    sheet: WriteOnlyWorksheet = book.create_sheet(title)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    return sheet
