"""The words a report shows people, Vietnamese first: column headers and outcomes.

The one place for them: the downloads, the console's report page and `status` use it.
Each word is an English message id in the project's gettext catalogue
(`broadcastd.i18n`, docs/translating.md); the file names' stems stay ASCII slugs here.
"""

from __future__ import annotations

from functools import cache
from typing import Literal

from broadcastd.i18n import Text, pgettext, say
from broadcastd.store.outcomes import Outcome

Lang = Literal["vi", "en"]
LANGS: tuple[Lang, ...] = ("vi", "en")

NOT_OVER = "pending"
"""The outcome key of a delivery whose broadcast has not ended yet (no outcome)."""

_OUTCOMES: dict[str, Text] = {
    Outcome.played: pgettext("outcome", "played"),
    Outcome.partial: pgettext("outcome", "partial"),
    Outcome.missed: pgettext("outcome", "missed"),
    Outcome.preempted: pgettext("outcome", "preempted"),
    Outcome.cancelled: pgettext("outcome", "cancelled"),
    Outcome.failed: pgettext("outcome", "failed"),
    NOT_OVER: pgettext("outcome", "not over yet"),
}

Column = tuple[str, Text]
"""(key, header) of a report's column."""

ROW_COLUMNS: tuple[Column, ...] = (
    ("commune", pgettext("report column", "Commune")),
    ("area", pgettext("report column", "Area")),
    ("cluster", pgettext("report column", "Cluster")),
    ("broadcast_id", pgettext("report column", "Broadcast id")),
    ("slot", pgettext("report column", "Slot")),
    ("title", pgettext("report column", "Title")),
    ("priority", pgettext("report column", "Priority")),
    ("start", pgettext("report column", "Planned start")),
    ("end", pgettext("report column", "Planned end")),
    ("outcome", pgettext("report column", "Outcome")),
    ("detail", pgettext("report column", "Detail")),
    ("received", pgettext("report column", "Received at")),
    ("playing", pgettext("report column", "Playing at")),
    ("finished", pgettext("report column", "Finished at")),
    ("sends", pgettext("report column", "Sends")),
)

COUNT_COLUMNS: tuple[Column, ...] = (
    ("planned", pgettext("report column", "Planned")),
    (Outcome.played, pgettext("report column", "Played")),
    (Outcome.partial, pgettext("report column", "Partial")),
    (Outcome.missed, pgettext("report column", "Missed")),
    (Outcome.preempted, pgettext("report column", "Preempted")),
    (Outcome.cancelled, pgettext("report column", "Cancelled")),
    (Outcome.failed, pgettext("report column", "Failed")),
    (NOT_OVER, pgettext("report column", "Not over yet")),
    ("share_played", pgettext("report column", "Share played")),
)

CLUSTER_COLUMNS: tuple[Column, ...] = (*ROW_COLUMNS[:3], *COUNT_COLUMNS)

DAY_COLUMNS: tuple[Column, ...] = (("date", pgettext("report column", "Date")), *COUNT_COLUMNS)

SHEETS: tuple[Text, Text, Text] = (
    pgettext("report sheet", "Deliveries"),
    pgettext("report sheet", "Per cluster"),
    pgettext("report sheet", "Per day"),
)
"""The workbook's sheets: every delivery, per cluster, per day."""

FILE_STEM: dict[Lang, str] = {"vi": "bao-cao", "en": "report"}
ALL_COMMUNES: dict[Lang, str] = {"vi": "tat-ca", "en": "all"}


_REFUSALS: dict[str, Text] = {
    # Why a report cannot be made as asked, and the fix; `{known}` is a list of choices,
    # `{field}` the form's or the API's name for a date (`field.from`, `field.to`).
    "not_a_date": pgettext("report refusal", "`{field}` is {text!r}, not a date; write it as "
                           "YYYY-MM-DD, e.g. 2026-11-01"),
    "to_before_from": pgettext("report refusal", "`to` ({last}) is before `from` ({first}); "
                               "send the earlier date as `from` (both days are included)"),
    "too_long": pgettext("report refusal", "{days} days asked; a report covers at most {most} "
                         "days: split the range (e.g. one report per month)"),
    "no_commune": pgettext("report refusal", "no commune {commune!r} in the timetables; use "
                           "one of: {known}"),
    "no_area_in": pgettext("report refusal", "no area {area!r} in commune {commune!r}; use one "
                           "of: {known}"),
    "no_area_anywhere": pgettext("report refusal", "no area {area!r} in any commune; use one "
                                 "of: {known}"),
    "none": pgettext("report refusal", "(none)"),
    "field.from": pgettext("report refusal", "from"),
    "field.to": pgettext("report refusal", "to"),
}


def refusal_text(reason: str, values: dict[str, object], lang: Lang = "vi") -> str:
    """Why a report was refused, in `lang`: a list value is written as choices, a
    `field` value (`from`, `to`) as the form's or the API's name for it."""
    said: dict[str, str] = {key: say(text, lang) for key, text in _REFUSALS.items()}
    shown: dict[str, object] = {}
    for key, value in values.items():
        if isinstance(value, list):
            value = ", ".join(str(v) for v in value) or said["none"]
        elif key == "field":
            value = said[f"field.{value}"]
        shown[key] = value
    return said[reason].format(**shown)


def outcome_word(outcome: str | None, lang: Lang = "vi") -> str:
    """The word for an outcome (None: the broadcast is not over yet)."""
    return outcome_words(lang)[outcome if outcome is not None else NOT_OVER]


@cache
def outcome_words(lang: Lang) -> dict[str, str]:
    """Every outcome's word in `lang` (and `pending`'s: not over yet), by outcome key;
    rendered once per language and shared: read it, do not change it."""
    return {str(key): say(word, lang) for key, word in _OUTCOMES.items()}


def headers(columns: tuple[Column, ...], lang: Lang) -> list[str]:
    """The columns' headers in `lang`."""
    return [say(header, lang) for _key, header in columns]


def sheet_names(lang: Lang) -> tuple[str, str, str]:
    """The workbook's sheet names in `lang`."""
    rows, clusters, days = (say(name, lang) for name in SHEETS)
    return rows, clusters, days
