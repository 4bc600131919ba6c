"""The console's and the reports' words come from the gettext catalogue, unchanged.

`console_words_before_gettext.json` holds what the pages and reports said in both
languages when their words were still Python dicts (generated once from them, before
the move to `locale/vi/.../broadcastd.po`): every key must still say exactly that. A
word changed on purpose is changed in the `.po` (Vietnamese) or the code (English) and
here.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from broadcastd.console.words import LANGS, Lang, cell_word, words
from broadcastd.reports import words as report_words

BEFORE: dict[str, Any] = json.loads(
    (Path(__file__).parent / "console_words_before_gettext.json").read_text(encoding="utf-8")
)


@pytest.mark.parametrize("lang", LANGS)
def test_every_page_word_says_what_it_said_before_the_catalogue(lang: Lang) -> None:
    before: dict[str, str] = BEFORE["words"][lang]
    now = words(lang)
    assert sorted(set(before) - set(now)) == []
    assert {key: now[key] for key in before if now[key] != before[key]} == {}


def test_vietnamese_differs_from_english_wherever_it_did() -> None:
    vi, en = words("vi"), words("en")
    assert [key for key in vi if vi[key] == en[key]] == ["none"]  # "—" in both


@pytest.mark.parametrize("lang", LANGS)
def test_report_words_say_what_they_said_before_the_catalogue(lang: Lang) -> None:
    for key, word in BEFORE["outcome_word"][lang].items():
        assert report_words.outcome_word(None if key == "pending" else key, lang) == word
    for name, by_lang in BEFORE["headers"].items():
        assert report_words.headers(getattr(report_words, name), lang) == by_lang[lang]
    assert list(report_words.sheet_names(lang)) == BEFORE["sheets"][lang]
    for reason, case in BEFORE["refusals"].items():
        said = report_words.refusal_text(reason.removesuffix("_to"), case["values"], lang)
        assert said == case[lang]


def test_a_page_word_keeps_its_placeholders_for_the_view_model_to_fill() -> None:
    assert words("en")["library.count"] == "{count} items, {total} in all"
    assert words("vi")["library.count"] == "{count} bài, tổng {total}"
    assert words("vi")["library.count"].format(count=3, total="4:05") == "3 bài, tổng 4:05"


def test_one_english_word_may_have_two_vietnamese_ones() -> None:
    assert words("en")["library.title"] == words("en")["announce.title"] == "Title"
    assert (words("vi")["library.title"], words("vi")["announce.title"]) == (
        "Tiêu đề", "Tên buổi phát",
    )
    assert cell_word("cancelled", "vi") == report_words.outcome_word("cancelled", "vi")


def test_a_page_changing_its_words_does_not_change_the_next_pages() -> None:
    mine = words("vi")
    mine["app"] = "changed"
    assert words("vi")["app"] == "Hệ thống phát thanh"
