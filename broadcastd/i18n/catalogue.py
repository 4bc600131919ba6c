"""Keeping the catalogues in step with the code: extract, update, check.

For translators and the test suite, never at run time. `python -m
broadcastd.i18n.catalogue` extracts every message of the package (`_`, `ngettext`,
`pgettext`), adds the new ones to each `.po` (untranslated), marks the vanished ones
obsolete, and lists what still needs a translation (docs/translating.md).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path
from string import Formatter

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po, write_po

from broadcastd.i18n import DOMAIN, LANGUAGES

PACKAGE = Path(__file__).resolve().parents[1]
LOCALE = Path(__file__).resolve().parent / "locale"
KEYWORDS = {"_": None, "ngettext": (1, 2), "pgettext": ((1, "c"), 2)}
PLACEHOLDER = re.compile(r"\{(\w+)(?:![rsa])?(?::[^{}\s]*)?\}")


def po_path(lang: str) -> Path:
    return LOCALE / lang / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract(package: Path = PACKAGE) -> Catalog:
    """Every message the code says, as a template catalogue."""
    template = Catalog(domain=DOMAIN, project="broadcastd", charset="utf-8")
    found = extract_from_dir(
        str(package), method_map=[("**.py", "python")], keywords=KEYWORDS,
        comment_tags=("TRANSLATORS:",), strip_comment_tags=True,
    )
    for filename, lineno, message, comments, context in found:
        template.add(
            message, None, [(f"broadcastd/{filename}", lineno)],
            auto_comments=comments, context=context,
        )
    return template


def read(lang: str) -> Catalog:
    with po_path(lang).open("rb") as handle:
        return read_po(handle, locale=lang, domain=DOMAIN)


def write(catalogue: Catalog, lang: str) -> None:
    with po_path(lang).open("wb") as handle:
        # File names without line numbers: an edit elsewhere in a module does not churn
        # every entry of the catalogue (nor conflict with another branch's edit).
        write_po(handle, catalogue, width=100, sort_by_file=True, ignore_obsolete=True,
                 include_lineno=False)


def placeholders(text: str) -> set[str]:
    """`{name}` placeholders of a message (literal YAML braces like `{id: x}` are not)."""
    return set(PLACEHOLDER.findall(text))


def _well_formed(text: str) -> bool:
    """Whether `str.format` can read `text` (every brace paired or doubled)."""
    try:
        list(Formatter().parse(text))
    except ValueError:
        return False
    return True


def problems(catalogue: Catalog, template: Catalog) -> list[str]:
    """Messages of the code that `catalogue` lacks, leaves untranslated or fuzzy, or
    translates with other placeholders than the English has."""
    found: list[str] = []
    for message in template:
        if not message.id:
            continue
        entry = catalogue.get(message.id, context=message.context)
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        if entry is None or entry.fuzzy:
            found.append(f"untranslated: {ids[0]!r}")
            continue
        strings = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        if not all(strings):
            found.append(f"untranslated: {ids[0]!r}")
            continue
        expected = placeholders(str(ids[0]))
        for string in strings:
            if not _well_formed(str(string)) and _well_formed(str(ids[0])):
                found.append(f"unbalanced braces: {string!r}")
            if placeholders(str(string)) != expected:
                found.append(
                    f"placeholders differ: {ids[0]!r} has {sorted(expected)}, "
                    f"{string!r} has {sorted(placeholders(str(string)))}"
                )
    return found


def main() -> int:
    """Update every language's `.po` from the code and list what is missing."""
    template = extract()
    missing = 0
    for lang in LANGUAGES:
        if lang == "en":
            continue  # the message ids are English
        catalogue = read(lang)
        created = catalogue.creation_date
        catalogue.update(template, no_fuzzy_matching=True)
        catalogue.creation_date = created  # unchanged unless the translations change
        write(catalogue, lang)
        for line in problems(catalogue, template):
            print(f"{po_path(lang)}: {line}")
            missing += 1
    print(f"{len(template)} messages; {missing} to do")
    return 1 if missing else 0


if __name__ == "__main__":
    sys.exit(main())
