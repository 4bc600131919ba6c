"""Plan vs actual: what each cluster did with each broadcast over a range of days, with
per-cluster and per-day summaries, and its CSV and XLSX downloads.

Read through the store's queries (`outcomes_between`, `delivery_times_between`): the
outcome rules live only in `broadcastd.store.outcomes`.
"""

from broadcastd.reports.build import (
    MAX_DAYS,
    ClusterSummary,
    DayTotal,
    DeliveryRow,
    Report,
    ReportQuery,
    ReportRefused,
    build_report,
    check_query,
    worst_clusters,
)
from broadcastd.reports.export import file_name, to_csv, to_xlsx
from broadcastd.reports.words import LANGS, Lang, outcome_word, refusal_text

__all__ = [
    "LANGS",
    "MAX_DAYS",
    "ClusterSummary",
    "DayTotal",
    "DeliveryRow",
    "Lang",
    "Report",
    "ReportQuery",
    "ReportRefused",
    "build_report",
    "check_query",
    "file_name",
    "outcome_word",
    "refusal_text",
    "to_csv",
    "to_xlsx",
    "worst_clusters",
]
