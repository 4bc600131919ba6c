"""The Vietnamese catalogue covers every message the code says, placeholders intact."""

from __future__ import annotations

import pickle

import pytest

from broadcastd.i18n import Text, _, listing, ngettext, say, weekday
from broadcastd.i18n.catalogue import extract, placeholders, problems, read


def test_every_message_of_the_code_has_a_vietnamese_translation_with_its_placeholders() -> None:
    template = extract()
    assert len(template) > 150  # the extractor found the package's messages
    assert problems(read("vi"), template) == []


def test_placeholders_are_the_named_ones_not_yaml_braces() -> None:
    assert placeholders("write `target: {areas: [khu-1]}` for {slot} ({size:,})") == {
        "slot", "size",
    }


def test_a_message_is_english_text_and_renders_in_vietnamese() -> None:
    message = _("slot `{slot}` has two playlists for {date}").format(
        slot="morning", date="2026-12-02"
    )
    assert isinstance(message, str)
    assert message == "slot `morning` has two playlists for 2026-12-02"
    assert message.render("vi") == "khung giờ `morning` có hai danh sách phát cho ngày 2026-12-02"
    assert say("plain text", "vi") == "plain text"
    assert pickle.loads(pickle.dumps(message)).render("vi") == message.render("vi")


def test_counts_and_weekdays_and_lists_in_both_languages() -> None:
    one, two = ngettext("{n} error", "{n} errors", 1), ngettext("{n} error", "{n} errors", 2)
    assert (one, two) == ("1 error", "2 errors")
    assert (one.render("vi"), two.render("vi")) == ("1 lỗi", "2 lỗi")
    days = listing([weekday("mon"), weekday("sun")])
    assert (days, days.render("vi")) == ("mon, sun", "thứ hai, chủ nhật")


def test_placeholders_are_named_so_a_translation_may_reorder_them() -> None:
    with pytest.raises(TypeError):
        _("{0} and {1}").format("a", "b")
    assert isinstance(_("x {a}").format(a=1), Text)


def test_a_broken_translation_is_said_in_english_rather_than_failing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gettext

    from broadcastd import i18n

    class Broken(gettext.NullTranslations):
        def gettext(self, message: str) -> str:
            return "khung giờ {slot"  # a stray brace

    monkeypatch.setattr(i18n, "_translations", lambda lang: Broken() if lang == "vi"
                        else gettext.NullTranslations())
    message = Text("slot `{slot}`", args={"slot": "morning"})
    assert message.render("vi") == "slot `morning`"
