"""Reading YAML written by people: line numbers kept, work bounded, errors retold.

Used for timetables, the daemon's configuration and the broker ACL generator. It
depends on PyYAML alone, so `python -m broadcastd.service.mosquitto_acl` can use it
without the daemon's other dependencies.

YAML 1.1 has traps for people who write times and ids: PyYAML reads an unquoted
`05:30` as the sexagesimal integer 330, `yes`/`no`/`on`/`off` as booleans, `010` as
octal 8 and `2026-12-05` as a date object. `TimetableYamlLoader` resolves only what
YAML 1.2 does (decimal and hex numbers, `true`/`false`, `null`), so those stay text
and the model reads them as what they mean.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import yaml

from broadcastd.i18n import _

_BOOL = "tag:yaml.org,2002:bool"
_INT = "tag:yaml.org,2002:int"
_FLOAT = "tag:yaml.org,2002:float"
_DROPPED = {_BOOL, _INT, _FLOAT, "tag:yaml.org,2002:timestamp"}


class TimetableYamlLoader(yaml.SafeLoader):
    """SafeLoader without sexagesimal numbers, yes/no/on/off booleans, octal or dates."""


TimetableYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in _DROPPED]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
TimetableYamlLoader.add_implicit_resolver(
    _BOOL, re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
TimetableYamlLoader.add_implicit_resolver(
    _INT, re.compile(r"^(?:[-+]?(?:0|[1-9][0-9_]*)|0x[0-9a-fA-F_]+)$"), list("-+0123456789")
)
TimetableYamlLoader.add_implicit_resolver(
    _FLOAT,
    re.compile(
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.[0-9_]+(?:[eE][-+]?[0-9]+)?"
        r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"
    ),
    list("-+0123456789."),
)


@dataclass(frozen=True)
class YamlSyntaxError(Exception):
    """The text is not YAML; `line` is 1-based, `hint` says what usually causes it."""

    line: int | None
    problem: str
    hint: str


@dataclass(frozen=True)
class ReadLimits:
    """How much work one file may cost. A timetable is a few kilobytes; these bounds
    are far above any real one, and keep a mistaken or hostile file (a billion-laughs
    alias bomb, thousands of nested brackets) from stalling `validate` or the daemon."""

    max_bytes: int = 1 << 20
    max_depth: int = 40
    max_aliases: int = 200
    max_nodes: int = 50_000
    """Values in the file with every `*alias` counted as often as it is used."""


LIMITS = ReadLimits()


class _BoundedLoader(TimetableYamlLoader):
    """Composes at most `max_depth` levels, `max_aliases` aliases and `max_nodes` nodes.

    The composer recurses per level (Python's stack gives out near 330), so depth is
    refused before that; counting here stops a huge file early, before it is all read.
    """

    def __init__(self, text: str, limits: ReadLimits) -> None:
        super().__init__(text)
        self.limits = limits
        self.depth = 0
        self.nodes = 0
        self.aliases = 0
        self.first_alias_line: int | None = None

    def compose_node(self, parent: yaml.Node | None, index: int) -> yaml.Node | None:
        event = self.peek_event()  # type: ignore[no-untyped-call]
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            self.aliases += 1
            self.first_alias_line = self.first_alias_line or line
            if self.aliases > self.limits.max_aliases:
                raise _too_many_aliases(line, self.limits)
        self.nodes += 1
        if self.nodes > self.limits.max_nodes:
            raise _too_many_nodes(line, self.limits, aliased=self.aliases > 0)
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise YamlSyntaxError(
                line,
                _("the values are nested more than {depth} levels deep").format(
                    depth=self.limits.max_depth
                ),
                _(
                    "a timetable needs only a few levels: check for brackets `[` or `{` "
                    "that are opened and never closed, or for lines indented ever deeper"
                ),
            )
        try:
            return super().compose_node(parent, index)
        finally:
            self.depth -= 1


MAX_DIGITS = 30


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> int:
    """Python refuses to read integers past 4,300 digits (ValueError); no timetable
    number has more than a few, so a long one is refused with its line."""
    if len(str(node.value)) > MAX_DIGITS:
        raise yaml.constructor.ConstructorError(
            None,
            None,
            _("a number with {digits} digits").format(digits=len(str(node.value))),
            node.start_mark,
        )
    value: int = loader.construct_yaml_int(node)
    return value


_BoundedLoader.add_constructor(_INT, _construct_int)


def _too_many_aliases(line: int, limits: ReadLimits) -> YamlSyntaxError:
    return YamlSyntaxError(
        line,
        _("the file uses more than {count} aliases (`*name`)").format(count=limits.max_aliases),
        _("write the repeated parts out in full, or use fewer `*name` references"),
    )


def _too_many_nodes(line: int | None, limits: ReadLimits, *, aliased: bool) -> YamlSyntaxError:
    if not aliased:
        return YamlSyntaxError(
            line,
            _("the file holds more than {count} values").format(count=f"{limits.max_nodes:,}"),
            _("check that this is the right file: a commune's timetable is far smaller"),
        )
    return YamlSyntaxError(
        line,
        _(
            "the file holds more than {count} values, counting each `*name` alias as often "
            "as it is used"
        ).format(count=f"{limits.max_nodes:,}"),
        _(
            "a commune's timetable is far smaller: write the repeated parts out, or check "
            "the `&name` / `*name` marks"
        ),
    )


def read_yaml(text: str, limits: ReadLimits = LIMITS) -> tuple[Any, yaml.Node | None]:
    """The data and its node tree; raises YamlSyntaxError with a line and a hint.

    Whatever the text, this returns or raises YamlSyntaxError, within bounded work.
    """
    size = len(text.encode("utf-8", errors="surrogatepass"))
    if size > limits.max_bytes:
        raise YamlSyntaxError(
            None,
            _("the file is {size} KiB, more than the {limit} KiB a timetable may be").format(
                size=f"{size / 1024:,.0f}", limit=f"{limits.max_bytes // 1024:,}"
            ),
            _("check that this is the right file: a commune's timetable is a few KiB"),
        )
    loader: _BoundedLoader | None = None
    try:
        # The reader checks every character as the loader is built: inside the `try`.
        loader = _BoundedLoader(text, limits)
        root = loader.get_single_node()
        if root is not None:
            _check_expansion(root, loader, limits)
        data = loader.construct_document(root) if root is not None else None
    except yaml.reader.ReaderError as exc:
        raise _reader_error(text, exc) from None
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(text, exc) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(None, str(exc), _("check the file is plain YAML text")) from None
    except RecursionError:  # the bounds above should make this unreachable
        raise YamlSyntaxError(
            None, _("the values are nested too deeply"), _("check for unclosed `[` or `{`")
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, root


def _reader_error(text: str, exc: yaml.reader.ReaderError) -> YamlSyntaxError:
    """A character that is not text (NUL, ESC, other control codes): where, and which."""
    position = exc.position if isinstance(exc.position, int) else 0
    before = text[:position]
    line = before.count("\n") + 1
    column = position - (before.rfind("\n") + 1) + 1
    code = exc.character if isinstance(exc.character, int) else 0
    return YamlSyntaxError(
        line,
        _("column {column} holds the control character {code}, which is not text").format(
            column=column, code=f"U+{code:04X}"
        ),
        _(
            "delete it (it often comes from copying out of another program; editors may "
            "show it as a box, `^@` or `^[`) and save the file again"
        ),
    )


_ALIAS_LOOP = (
    _("an alias (`*name`) is used inside the very group its `&name` marks"),
    _("a group cannot contain itself: write the values out instead"),
)


def _check_expansion(root: yaml.Node, loader: _BoundedLoader, limits: ReadLimits) -> None:
    """Refuse aliases that expand past `max_nodes`, or that contain themselves.

    Each node is visited once (aliases share nodes), its expanded size memoised: a
    billion-laughs file costs its own size here, not the size it pretends to have.
    """
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            total = 1 + sum(sizes[id(child)] for child in _children(node))
            if total > limits.max_nodes:
                raise _too_many_nodes(loader.first_alias_line, limits, aliased=True)
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if key in on_path:
            raise YamlSyntaxError(
                node.start_mark.line + 1,
                _ALIAS_LOOP[0],
                _ALIAS_LOOP[1],
            )
        on_path.add(key)
        stack.append((node, True))
        for child_node in _children(node):
            if id(child_node) not in sizes:
                if id(child_node) in on_path:
                    raise YamlSyntaxError(
                        child_node.start_mark.line + 1,
                        _ALIAS_LOOP[0],
                        _ALIAS_LOOP[1],
                    )
                stack.append((child_node, False))


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    if isinstance(node, yaml.MappingNode):
        return [part for pair in node.value for part in pair]
    return []


def _syntax_error(text: str, exc: yaml.MarkedYAMLError) -> YamlSyntaxError:
    problem = " ".join(part for part in (exc.context, exc.problem) if part)
    # An unclosed quote is found at the end of the file; the quote itself is what to fix.
    opened = "quoted scalar" in (exc.context or "") and exc.context_mark is not None
    mark = exc.context_mark if opened else exc.problem_mark or exc.context_mark
    line = mark.line + 1 if mark is not None else None
    source_lines = text.splitlines()
    unclosed = _unclosed_quote(source_lines, line or len(source_lines))
    if unclosed is not None:
        # The parser trips lines later, where the runaway text ends; the cause is here.
        return YamlSyntaxError(
            unclosed, _("a quote that is never closed"),
            _("a quote opened on this line is not closed: end the text with the same quote"),
        )
    text_line = source_lines[line - 1] if line and line <= len(source_lines) else ""
    plain, hint = _cause(problem, text_line)
    return YamlSyntaxError(line, plain, hint)


def _unclosed_quote(lines: list[str], upto: int) -> int | None:
    """First line up to `upto` with an odd number of double quotes, if any."""
    for number, raw in enumerate(lines[:upto], 1):
        if (raw.count('"') - raw.count('\\"')) % 2:
            return number
    return None


# The parser's usual problems: what it found (in words an official reads; None keeps the
# parser's own) and what to do. The first whose test matches tells.
_CAUSES: tuple[tuple[Callable[[str, str], bool], str | None, str], ...] = (
    (
        lambda problem, line: "\t" in line or "'\\t'" in problem,
        _("a tab character, where YAML allows only spaces"),
        _("replace the tab characters at the start of the line with spaces"),
    ),
    (
        lambda problem, line: "could not find expected ':'" in problem,
        _("a key without its colon"),
        _('put a colon and a space after the key, like `start: "05:30"`'),
    ),
    (
        lambda problem, line: "mapping values are not allowed" in problem,
        _("a colon where no value can start"),
        _(
            "a value contains `: `; put the value in quotes, or check the key above "
            "is followed by a colon and that this line is indented under it"
        ),
    ),
    (
        lambda problem, line: "expected <block end>" in problem
        or "did not find expected key" in problem,
        _("the lines of one level are not lined up"),
        _(
            "check the indentation: keys at the same level must start in the same "
            "column, and list items start with `- ` under their key"
        ),
    ),
    (
        lambda problem, line: "found duplicate anchor" in problem
        or "found undefined alias" in problem,
        _("an `&name` / `*name` mark that is unknown or repeated"),
        _("check the `&name` and `*name` marks: each anchor once, defined before use"),
    ),
    (
        lambda problem, line: "digits" in problem,
        None,
        _("no value in a timetable needs that many digits: check the number"),
    ),
    (
        lambda problem, line: "quoted scalar" in problem,
        _("a quote that is never closed"),
        _("a quote is not closed: end the text with the same quote it started with"),
    ),
)


def _cause(problem: str, text_line: str) -> tuple[str, str]:
    """(what is wrong, what to do) for a parser problem met on `text_line`."""
    for matches, plain, hint in _CAUSES:
        if matches(problem, text_line):
            return plain or problem, hint
    return (
        problem or _("not valid YAML"),
        _("compare the line with the example in docs/timetables.md"),
    )
