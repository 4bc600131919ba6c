"""Reading timetable YAML so that every value keeps the line it came from.

The file is composed into a node tree once; data is built from that tree, and any
key path (`("slots", 0, "start")`) can be followed back to its line for messages.

YAML 1.1 has traps for people who write times and ids: PyYAML reads an unquoted
`05:30` as the sexagesimal integer 330, `yes`/`no`/`on`/`off` as booleans, `010` as
octal 8 and `2026-12-05` as a date object. `TimetableYamlLoader` resolves only what
YAML 1.2 does (decimal and hex numbers, `true`/`false`, `null`), so those stay text
and the model reads them as what they mean.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import yaml

KeyPath = tuple[str | int, ...]

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


def read_yaml(text: str) -> tuple[Any, yaml.Node | None]:
    """The data and its node tree; raises YamlSyntaxError with a line and a hint."""
    loader = TimetableYamlLoader(text)
    try:
        root = loader.get_single_node()
        data = loader.construct_document(root) if root is not None else None
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(text, exc) from None
    except yaml.YAMLError as exc:
        raise YamlSyntaxError(None, str(exc), "check the file is plain YAML text") from None
    finally:
        loader.dispose()
    return data, root


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
            unclosed, problem or "not valid YAML",
            "a quote opened on this line is not closed: end the text with the same quote",
        )
    text_line = source_lines[line - 1] if line and line <= len(source_lines) else ""
    return YamlSyntaxError(line, problem or "not valid YAML", _hint(problem, text_line))


def _unclosed_quote(lines: list[str], upto: int) -> int | None:
    """First line up to `upto` with an odd number of double quotes, if any."""
    for number, raw in enumerate(lines[:upto], 1):
        if (raw.count('"') - raw.count('\\"')) % 2:
            return number
    return None


def _hint(problem: str, text_line: str) -> str:
    if "\t" in text_line or "'\\t'" in problem:
        return "replace the tab characters at the start of the line with spaces"
    if "could not find expected ':'" in problem:
        return "put a colon and a space after the key, like `start: \"05:30\"`"
    if "mapping values are not allowed" in problem:
        return (
            "a value contains `: `; put the value in quotes, or check the key above "
            "is followed by a colon and that this line is indented under it"
        )
    if "expected <block end>" in problem or "did not find expected key" in problem:
        return (
            "check the indentation: keys at the same level must start in the same "
            "column, and list items start with `- ` under their key"
        )
    if "found duplicate anchor" in problem or "found undefined alias" in problem:
        return "check the `&name` and `*name` marks: each anchor once, defined before use"
    if "quoted scalar" in problem:
        return "a quote is not closed: end the text with the same quote it started with"
    return "compare the line with the example in docs/timetables.md"


def mapping_items(node: yaml.Node) -> Iterator[tuple[yaml.Node, yaml.Node]]:
    """Key and value nodes of a mapping (nothing for other nodes)."""
    if isinstance(node, yaml.MappingNode):
        yield from node.value


def child(node: yaml.Node, key: str | int) -> tuple[yaml.Node, yaml.Node] | None:
    """(key node, value node) of a mapping key or a sequence index; None when absent.

    For a sequence the key node is the item itself. The last key of a repeated key
    wins, as in the data.
    """
    if isinstance(key, int):
        if isinstance(node, yaml.SequenceNode) and 0 <= key < len(node.value):
            item: yaml.Node = node.value[key]
            return item, item
        return None
    found = None
    for key_node, value_node in mapping_items(node):
        if isinstance(key_node, yaml.ScalarNode) and key_node.value == key:
            found = (key_node, value_node)
    return found


def deepest(root: yaml.Node | None, path: KeyPath) -> tuple[yaml.Node | None, int]:
    """The node of the longest existing prefix of `path` (key node for the last
    mapping key, so its line is the key's line) and how many segments matched."""
    if root is None:
        return None, 0
    node, key_node, matched = root, root, 0
    for segment in path:
        pair = child(node, segment)
        if pair is None:
            break
        key_node, node = pair
        matched += 1
    return key_node, matched


def value_node(root: yaml.Node | None, path: KeyPath) -> yaml.Node | None:
    """The value node at `path`, or None when the path is not all there."""
    node = root
    for segment in path:
        if node is None:
            return None
        pair = child(node, segment)
        node = pair[1] if pair else None
    return node


def line_of(root: yaml.Node | None, path: KeyPath) -> int | None:
    """1-based line of the key at `path`, or of the nearest enclosing key present."""
    node, _ = deepest(root, path)
    return node.start_mark.line + 1 if node is not None else None


def scalar(node: yaml.Node | None) -> str | None:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else None


def display_path(root: yaml.Node | None, path: KeyPath) -> str:
    """`slots -> morning -> start`: list positions named by their `id` (or `date`)."""
    parts: list[str] = []
    node = root
    for segment in path:
        pair = child(node, segment) if node is not None else None
        node = pair[1] if pair else None
        label = str(segment)
        if isinstance(segment, int) and node is not None:
            name = scalar(value_node(node, ("id",))) or scalar(value_node(node, ("date",)))
            label = name if name else str(segment)
        parts.append(label)
    return " -> ".join(parts)


def duplicate_keys(root: yaml.Node | None) -> list[tuple[KeyPath, int]]:
    """Keys written twice in one mapping, with the line of each repeat; YAML would
    keep the last one without a word."""
    found: list[tuple[KeyPath, int]] = []

    def walk(node: yaml.Node, path: KeyPath) -> None:
        if isinstance(node, yaml.MappingNode):
            seen: set[str] = set()
            for key_node, value in node.value:
                key = scalar(key_node)
                if key is None:
                    continue
                if key in seen:
                    found.append((path + (key,), key_node.start_mark.line + 1))
                seen.add(key)
                walk(value, path + (key,))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, path + (index,))

    if root is not None:
        walk(root, ())
    return found
