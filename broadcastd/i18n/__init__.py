"""Words for people in their language: Vietnamese first, English on request.

Officials and operators read Vietnamese; the code, the logs and the message ids are
English. A message is built once, where the problem is found, as a `Text`: a `str`
whose value is the English sentence (so logs, `==` and `in` keep working) and which
remembers its message id and named arguments, so that each reader renders it in
their own language with `say(text, lang)`. Nothing here holds a current language:
the CLI passes the one it chose, the HTTP API the one each request asks for.

The catalogue is the standard gettext `locale/vi/LC_MESSAGES/broadcastd.po`, compiled
in memory at first use (no build step, nothing compiled in the repository); see
docs/translating.md.
"""

from __future__ import annotations

import gettext
import os
import re
from collections.abc import Mapping, Sequence
from functools import cache
from importlib import resources
from io import BytesIO
from typing import Any, Literal, Self

Language = Literal["vi", "en"]
LANGUAGES: tuple[Language, ...] = ("vi", "en")
DEFAULT: Language = "vi"
"""Officials read Vietnamese: anything not asking for English gets Vietnamese."""
DOMAIN = "broadcastd"
LANG_ENV = "BROADCASTD_LANG"


class Text(str):
    """A sentence for people: English as a `str`, any language through `render`.

    Build it with `_("... {name} ...").format(name=...)` (named placeholders, so a
    translation may reorder them), `ngettext(one, many, n).format(n=n)` or
    `pgettext(context, word)`. Arguments may be `Text` themselves; they are rendered
    in the same language.
    """

    msgid: str
    plural: str | None
    number: int | None
    """The count a plural message is worded for."""
    context: str | None
    args: Mapping[str, Any] | None

    def __new__(
        cls,
        msgid: str,
        *,
        plural: str | None = None,
        count: int | None = None,
        context: str | None = None,
        args: Mapping[str, Any] | None = None,
    ) -> Self:
        english = _render(_translations("en"), msgid, plural, count, context, args, "en")
        self = super().__new__(cls, english)
        self.msgid, self.plural, self.number = msgid, plural, count
        self.context, self.args = context, args
        return self

    def format(self, *unnamed: object, **named: Any) -> Text:
        """The same message with its named arguments filled in (lazily, per language)."""
        if unnamed:
            raise TypeError("messages take named placeholders only: {name}")
        return Text(
            self.msgid, plural=self.plural, count=self.number, context=self.context,
            args={**(self.args or {}), **named},
        )

    def render(self, lang: Language) -> str:
        """This message in `lang`."""
        return _render(
            _translations(lang), self.msgid, self.plural, self.number, self.context,
            self.args, lang,
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (_rebuild, (self.msgid, self.plural, self.number, self.context, self.args))


def _rebuild(
    msgid: str, plural: str | None, count: int | None, context: str | None,
    args: Mapping[str, Any] | None,
) -> Text:
    return Text(msgid, plural=plural, count=count, context=context, args=args)


def _render(
    catalogue: gettext.NullTranslations,
    msgid: str,
    plural: str | None,
    count: int | None,
    context: str | None,
    args: Mapping[str, Any] | None,
    lang: Language,
) -> str:
    if plural is not None:
        pattern = catalogue.ngettext(msgid, plural, count or 0)
    elif context is not None:
        pattern = catalogue.pgettext(context, msgid)
    else:
        pattern = catalogue.gettext(msgid)
    if args is None:
        return pattern
    filled = _Filled({name: say(value, lang) for name, value in args.items()})
    try:
        return pattern.format_map(filled)
    except (ValueError, IndexError, KeyError, TypeError, AttributeError):
        if lang == "en":
            raise
        # A broken translation (a stray brace) must never stop `validate` or the
        # daemon: say it in English instead; the catalogue test catches it first.
        return _render(gettext.NullTranslations(), msgid, plural, count, context, args, "en")


class _Filled(dict[str, Any]):
    """Arguments of a message; a placeholder not given yet stays as written, so a
    message may be filled in two steps (`ngettext(...)` then `.format(...)`)."""

    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _(msgid: str) -> Text:
    """A message to be said in the reader's language (call `.format(...)` for its
    placeholders; without arguments the text is used as written, braces and all)."""
    return Text(msgid)


def ngettext(singular: str, plural: str, count: int) -> Text:
    """A message whose wording depends on a count (`{n} error`, `{n} errors`); the
    count is its placeholder `{n}` already."""
    return Text(singular, plural=plural, count=count, args={"n": count})


def pgettext(context: str, msgid: str) -> Text:
    """A short word whose translation depends on what it names (`weekday`, `mon`)."""
    return Text(msgid, context=context)


def listing(parts: Sequence[Any], separator: str = ", ") -> Text:
    """Parts (messages or plain values) joined by `separator`, each said in the
    reader's language; it has no words of its own, so it is not in the catalogue."""
    names = {f"part{index}": part for index, part in enumerate(parts)}
    pattern = separator.replace("{", "{{").replace("}", "}}").join("{" + name + "}" for name in names)
    return Text(pattern, args=names)


def untranslated(value: Any, lang: Language) -> list[str]:
    """Message ids in `value` (a `Text` and the `Text`s among its arguments) that the
    catalogue of `lang` does not translate; a message of placeholders and punctuation
    only (`{where}:{key} ...`) may stay as it is."""
    if not isinstance(value, Text) or lang == "en":
        return []
    catalogue = _translations(lang)
    if value.plural is not None:
        said = catalogue.ngettext(value.msgid, value.plural, value.number or 0)
    elif value.context is not None:
        said = catalogue.pgettext(value.context, value.msgid)
    else:
        said = catalogue.gettext(value.msgid)
    has_words = re.search(r"[A-Za-z]", re.sub(r"\{\w+\}", "", value.msgid))
    missing = [value.msgid] if has_words and said in (value.msgid, value.plural) else []
    for argument in (value.args or {}).values():
        missing += untranslated(argument, lang)
    return missing


def message_of(error: BaseException) -> str:
    """An exception's message, kept a `Text` when it was raised with one (`str(error)`
    would make it plain English), to pass on as an argument of another message."""
    if len(error.args) == 1 and isinstance(error.args[0], Text):
        return error.args[0]
    return str(error)


def said_error(error: BaseException, lang: Language) -> str:
    """An exception's message in `lang` (raised with a `Text`), else its English text."""
    said: str = say(message_of(error), lang)
    return said


def say(value: Any, lang: Language) -> Any:
    """A `Text` in `lang`; anything else as it is."""
    return value.render(lang) if isinstance(value, Text) else value


def weekday(code: str) -> Text:
    """`mon` in English, `thứ hai` in Vietnamese."""
    return _WEEKDAYS[code]



@cache
def _translations(lang: Language) -> gettext.NullTranslations:
    """The compiled catalogue of `lang` (English is the message ids themselves)."""
    if lang == "en":
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    source = resources.files(__name__).joinpath(f"locale/{lang}/LC_MESSAGES/{DOMAIN}.po")
    with source.open("rb") as handle:
        catalogue = read_po(handle, locale=lang, domain=DOMAIN)
    compiled = BytesIO()
    write_mo(compiled, catalogue)
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


# --- choosing the language -----------------------------------------------------------


def language_of(tag: str | None) -> Language | None:
    """`en`, `en_US.UTF-8`, `en-GB` -> en; `vi`, `vi_VN` -> vi; anything else None."""
    if not tag:
        return None
    head = tag.strip().lower().replace("-", "_").split(".")[0].split("_")[0]
    return "vi" if head == "vi" else "en" if head == "en" else None


def from_environment(
    explicit: str | None = None, environ: Mapping[str, str] = os.environ
) -> Language:
    """The CLI's language: `--lang`, else $BROADCASTD_LANG, else the locale variables
    ($LC_ALL, $LC_MESSAGES, $LANG, as gettext reads them): English when they say
    `en_*`; Vietnamese otherwise, unset, `C` and `POSIX` included (a bare server's
    locale says nothing about who reads)."""
    chosen = language_of(explicit) or language_of(environ.get(LANG_ENV))
    if chosen:
        return chosen
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        if environ.get(name):
            return "en" if language_of(environ[name]) == "en" else DEFAULT
    return DEFAULT


def from_request(query: str | None, accept_language: str | None) -> Language:
    """An HTTP request's language: `?lang=`, else the first of Accept-Language's
    languages that we have (by weight), else Vietnamese."""
    chosen = language_of(query)
    if chosen:
        return chosen
    ranked: list[tuple[float, int, Language]] = []
    for position, part in enumerate((accept_language or "").split(",")):
        tag, _sep, params = part.partition(";")
        lang = language_of(tag)
        if lang is None:
            continue
        weight = 1.0
        if params.strip().startswith("q="):
            try:
                weight = float(params.strip()[2:])
            except ValueError:
                weight = 0.0
        if weight > 0:
            ranked.append((-weight, position, lang))
    return min(ranked)[2] if ranked else DEFAULT

# Last: a `Text` needs the functions above.
_WEEKDAYS = {
    "mon": pgettext("weekday", "mon"),
    "tue": pgettext("weekday", "tue"),
    "wed": pgettext("weekday", "wed"),
    "thu": pgettext("weekday", "thu"),
    "fri": pgettext("weekday", "fri"),
    "sat": pgettext("weekday", "sat"),
    "sun": pgettext("weekday", "sun"),
}
