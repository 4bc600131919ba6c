"""Following a YAML node tree back to lines: key paths for messages, duplicate keys.

The file is composed into a node tree once (`read_yaml`, in `broadcastd.yaml_reader`);
data is built from that tree, and any key path (`("slots", 0, "start")`) can be
followed back to its line for messages.
"""

from __future__ import annotations

from collections.abc import Iterator

import yaml

from broadcastd.yaml_reader import (
    LIMITS,
    ReadLimits,
    TimetableYamlLoader,
    YamlSyntaxError,
    read_yaml,
)

__all__ = [
    "LIMITS",
    "KeyPath",
    "ReadLimits",
    "TimetableYamlLoader",
    "YamlSyntaxError",
    "child",
    "deepest",
    "display_path",
    "duplicate_keys",
    "line_of",
    "mapping_items",
    "read_yaml",
    "scalar",
    "value_node",
]

KeyPath = tuple[str | int, ...]


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
    """`slots -> morning -> start`: list positions named by their `id` (or `date`), else
    counted from 1 as a person counts them (`playlist -> #2` is the second item)."""
    parts: list[str] = []
    node = root
    for segment in path:
        pair = child(node, segment) if node is not None else None
        node = pair[1] if pair else None
        label = f"#{segment + 1}" if isinstance(segment, int) else str(segment)
        if isinstance(segment, int) and node is not None:
            name = scalar(value_node(node, ("id",))) or scalar(value_node(node, ("date",)))
            label = name or label
        parts.append(label)
    return " -> ".join(parts)


def duplicate_keys(root: yaml.Node | None) -> list[tuple[KeyPath, int]]:
    """Keys written twice in one mapping, with the line of each repeat; YAML would
    keep the last one without a word."""
    found: list[tuple[KeyPath, int]] = []
    visited: set[int] = set()

    def walk(node: yaml.Node, path: KeyPath) -> None:
        # An aliased group is the same node at several paths: checked once, where first met.
        if id(node) in visited:
            return
        visited.add(id(node))
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
