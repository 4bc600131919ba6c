"""The report as files: CSV (UTF-8 with a BOM, so Excel shows Vietnamese right) and XLSX
(rows, per cluster, per day; bold frozen headers, real Excel datetimes).

The XLSX is written by XlsxWriter in constant-memory mode: rows streamed to the file as
they come, and about twice as fast as openpyxl's write-only mode (docs/benchmarks.md).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from xlsxwriter import Workbook
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from broadcastd.reports.build import DeliveryRow, Report, ReportQuery, Tally
from broadcastd.reports.words import (
    ALL_COMMUNES,
    CLUSTER_COLUMNS,
    COUNT_COLUMNS,
    DAY_COLUMNS,
    FILE_STEM,
    ROW_COLUMNS,
    Lang,
    headers,
    outcome_word,
    sheet_names,
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
    """Sheet 1 the rows, sheet 2 per cluster, sheet 3 per day; streamed (constant memory)."""
    out = io.BytesIO()
    book = Workbook(out, {"constant_memory": True, "in_memory": True})
    looks = _Looks(book)
    rows_title, clusters_title, days_title = sheet_names(lang)
    sheet = _sheet(book, looks, rows_title, headers(ROW_COLUMNS, lang), ROW_WIDTHS)
    for number, row in enumerate(report.rows, start=1):
        _write(sheet, looks, number, list(_row_values(row, lang)))
    sheet = _sheet(book, looks, clusters_title, headers(CLUSTER_COLUMNS, lang), CLUSTER_WIDTHS)
    for number, summary in enumerate(report.clusters(), start=1):
        _write(sheet, looks, number, [summary.commune, summary.area or "", summary.cluster,
                                      *_counts(summary.tally)])
    sheet = _sheet(book, looks, days_title, headers(DAY_COLUMNS, lang), DAY_WIDTHS)
    for number, total in enumerate(report.days(), start=1):
        sheet.write_datetime(number, 0, datetime.combine(total.date, datetime.min.time()),
                             looks.day)
        _write(sheet, looks, number, _counts(total.tally), first=1)
    book.close()
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


class _Looks:
    """The formats a workbook's cells use, made once per workbook."""

    def __init__(self, book: Workbook) -> None:
        self.bold: Format = book.add_format({"bold": True})
        self.time: Format = book.add_format({"num_format": EXCEL_TIME})
        self.day: Format = book.add_format({"num_format": EXCEL_DATE})
        self.share: Format = book.add_format({"num_format": EXCEL_SHARE})


class _Share(float):
    """A share played: written as a percentage."""


def _write(sheet: Worksheet, looks: _Looks, number: int, values: list[Any],
           first: int = 0) -> None:
    """One line, each value as what it is. Excel has no time zones: a time is the
    commune-local wall time, which is what people read. Text is always text, even when
    it looks like a formula (a title typed by an operator must never run)."""
    for column, value in enumerate(values, start=first):
        if value is None or value == "":
            continue
        if isinstance(value, datetime):
            sheet.write_datetime(number, column, value.replace(tzinfo=None), looks.time)
        elif isinstance(value, str):
            sheet.write_string(number, column, value)
        elif isinstance(value, _Share):
            sheet.write_number(number, column, value, looks.share)
        else:
            sheet.write_number(number, column, value)


def _counts(tally: Tally) -> list[Any]:
    values: list[Any] = [tally.count(key) for key, _header in COUNT_COLUMNS[:-1]]
    share = tally.share_played
    return [*values, None if share is None else _Share(share)]


def _sheet(
    book: Workbook, looks: _Looks, title: str, names: list[str], widths: tuple[int, ...]
) -> Worksheet:
    sheet: Worksheet = book.add_worksheet(title)
    for index, width in enumerate(widths):
        sheet.set_column(index, index, width)
    sheet.freeze_panes(1, 0)
    for column, name in enumerate(names):
        sheet.write_string(0, column, name, looks.bold)
    return sheet
