"""Pydantic's validation errors, retold for commune officials with a fix for each.

Pydantic says `extra_forbidden at ('commune', 'timezon')`; an official needs "unknown
key `timezon` (did you mean `timezone`?)" on the right line. Pure: works on the error
list and the YAML node tree.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic_core import ErrorDetails

from broadcastd.ids import id_from_text
from broadcastd.timetable.model import (
    Area,
    Commune,
    DatedException,
    Item,
    Slot,
    SlotBody,
    Target,
    Timetable,
)
from broadcastd.timetable.problems import Finding
from broadcastd.timetable.source import KeyPath, value_node

ID_RULE = (
    "ids use only lower-case letters a-z, digits 0-9 and `-`, start with a letter or "
    "digit, and are at most 63 characters long"
)

# The model that a mapping under this key (or under a list item of it) follows.
_MODEL_UNDER: dict[str, type[BaseModel]] = {
    "": Timetable,
    "commune": Commune,
    "areas": Area,
    "slots": Slot,
    "playlist": Item,
    "target": Target,
    "exceptions": DatedException,
    "add": SlotBody,
}

EXAMPLES: dict[str, str] = {
    "id": "id: khu-1",
    "name": 'name: "Khu 1"',
    "district": 'district: "Huyện Thanh Ba"',
    "province": 'province: "Tỉnh Phú Thọ"',
    "timezone": "timezone: Asia/Ho_Chi_Minh",
    "commune": "commune: {id: man-lan, name: \"Xã Mạn Lạn\"}",
    "areas": "areas: [{id: khu-1, name: \"Khu 1\", clusters: [loa-01]}]",
    "clusters": "clusters: [loa-01, loa-02]",
    "slots": 'slots: [{id: morning, start: "05:30", end: "06:00", playlist: [...]}]',
    "start": 'start: "05:30"',
    "end": 'end: "06:00"',
    "title": 'title: "Bản tin sáng"',
    "days": "days: [mon, thu]",
    "target": "target: all",
    "volume": "volume: 80",
    "priority": "priority: emergency",
    "fallback": "fallback: nhac-nen",
    "playlist": "playlist: [{audio: ban-tin-sang}]",
    "audio": "audio: ban-tin-sang",
    "stream": "stream: http://phat-thanh.thanhba.example/tiep-song",
    "duration_s": "duration_s: 1500",
    "text": 'text: "Họp dân khu 7 lúc 19h30 tại nhà văn hóa"',
    "exceptions": "exceptions: [{date: 2027-02-06, skip: [morning]}]",
    "date": "date: 2027-02-06",
    "skip": "skip: [morning]",
    "add": 'add: [{id: tiem-chung, start: "07:00", end: "07:10", playlist: [...]}]',
    "note": 'note: "Tết Nguyên Đán"',
    "on": "on: [{date: 2026-12-02, playlist: [{audio: ban-tin-dac-biet}]}]",
}

_UNIONS: dict[str, tuple[str, str]] = {
    "target": (
        "`target` must be `all`, or `areas:` and/or `clusters:` lists",
        "write `target: all`, or `target: {areas: [khu-1, khu-2]}`",
    ),
    "days": (
        (
            "`days` must be `daily` or a list of weekdays (mon tue wed thu fri sat sun, "
            "or thứ hai ... chủ nhật, t2 ... t7, cn)"
        ),
        "write `days: daily` or `days: [mon, thu]` or `days: [thứ hai, thứ năm]`",
    ),
}

_EXPECTED_TOO: dict[str, str] = {
    "days": "; or in Vietnamese: thứ hai, thứ ba, ..., thứ bảy, chủ nhật (t2 ... t7, cn)",
}
"""What a choice may also be written as, beyond the model's own words."""

_TYPE_WORDS: dict[str, str] = {
    "int_parsing": "a whole number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_parsing": "a number",
    "float_type": "a number",
    "string_type": "text",
    "list_type": "a list (items on lines starting with `- `, or `[a, b]`)",
    "dict_type": "a group of `key: value` lines",
    "model_type": "a group of `key: value` lines",
    "model_attributes_type": "a group of `key: value` lines",
    "date_parsing": "a date written YYYY-MM-DD",
    "date_type": "a date written YYYY-MM-DD",
    "date_from_datetime_parsing": "a date written YYYY-MM-DD",
    "date_from_datetime_inexact": "a date written YYYY-MM-DD",
    "bool_type": "true or false",
    "bool_parsing": "true or false",
}


def shown(value: Any) -> str:
    """A value as the official wrote it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return "a group of values" if isinstance(value, dict) else "a list"
    return str(value)


def _is_tag(segment: str | int) -> bool:
    """A union member's name in pydantic's location, not a key of the file."""
    return isinstance(segment, str) and "[" in segment


def _branch_fits(tag: str, node: yaml.Node | None) -> bool:
    if tag.startswith("literal["):
        return isinstance(node, yaml.ScalarNode)
    if tag.startswith("list["):
        return isinstance(node, yaml.SequenceNode)
    return isinstance(node, yaml.MappingNode)


def _union_of(loc: tuple[str | int, ...]) -> tuple[KeyPath, str] | None:
    """(path of the union key, tag of the branch) when the error is inside a union."""
    for index, segment in enumerate(loc):
        if _is_tag(segment):
            return tuple(s for s in loc[:index] if not _is_tag(s)), str(segment)
    return None


def _field(path: KeyPath) -> str:
    names = [segment for segment in path if isinstance(segment, str)]
    return names[-1] if names else ""


def _model_of(path: KeyPath) -> type[BaseModel]:
    return _MODEL_UNDER.get(_field(path), Timetable)


def explain(errors: Iterable[ErrorDetails], root: yaml.Node | None) -> list[Finding]:
    """One finding per distinct problem, unions resolved by what was actually written."""
    findings: list[Finding] = []
    union_reported: set[KeyPath] = set()
    errors = list(errors)
    fitting: set[KeyPath] = set()  # unions where some branch matches what was written
    for error in errors:
        union = _union_of(tuple(error["loc"]))
        if union and _branch_fits(union[1], value_node(root, union[0])):
            fitting.add(union[0])
    for error in errors:
        loc = tuple(error["loc"])
        path: KeyPath = tuple(segment for segment in loc if not _is_tag(segment))
        union = _union_of(loc)
        if union:
            union_path, tag = union
            fits = _branch_fits(tag, value_node(root, union_path))
            if not fits and union_path in fitting:
                continue  # the branch the official did not mean
            if not fits or tag.startswith("literal["):
                if union_path not in union_reported and _field(union_path) in _UNIONS:
                    # Several branches failed: say once what this key accepts.
                    union_reported.add(union_path)
                    message, fix = _UNIONS[_field(union_path)]
                    findings.append(Finding(union_path, message, fix))
                continue
        finding = _one(error, path)
        if finding not in findings:
            findings.append(finding)
    return findings


def _one(error: ErrorDetails, path: KeyPath) -> Finding:
    kind = error["type"]
    field = _field(path)
    value = error.get("input")
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    example = EXAMPLES.get(field, f"{field}: ...")
    if kind == "extra_forbidden":
        return _unknown_key(path)
    if kind == "missing":
        return Finding(path, f"`{field}` is missing", f"add it, for example `{example}`")
    if kind == "string_pattern_mismatch":
        return _bad_id(path, str(value))
    if kind == "value_error":
        return _rule(path, str(error["msg"]))
    if kind == "literal_error":
        expected = str(ctx.get("expected", "")).replace("'", "") + _EXPECTED_TOO.get(field, "")
        return Finding(
            path,
            f"`{shown(value)}` is not allowed here; the choices are: {expected}",
            f"write one of them, for example `{example}`",
        )
    if kind == "too_short":
        return Finding(path, f"`{field}` is empty", f"add at least one, for example `{example}`")
    if kind == "string_too_short":
        return Finding(path, f"`{field}` is empty", f"write some text, for example `{example}`")
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return _out_of_range(path, kind, value, ctx, example)
    if kind == "string_type" and isinstance(value, (int, float, bool)):
        return Finding(
            path,
            f"`{shown(value)}` is read as a number or yes/no value, but text is expected",
            f'put it in quotes: `{field}: "{shown(value)}"`',
        )
    if kind in _TYPE_WORDS:
        return Finding(
            path,
            f"`{field}` should be {_TYPE_WORDS[kind]}, not `{shown(value)}`",
            f"write it like `{example}`",
        )
    return Finding(path, str(error["msg"]), f"write it like `{example}`")


def _unknown_key(path: KeyPath) -> Finding:
    key = str(path[-1])
    allowed = sorted(_model_of(path[:-1]).model_fields)
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return Finding(
            path, f"unknown key `{key}` (did you mean `{close[0]}`?)", f"rename it to `{close[0]}`"
        )
    return Finding(
        path, f"unknown key `{key}`", f"remove it; the keys allowed here are: {', '.join(allowed)}"
    )


def _bad_id(path: KeyPath, value: str) -> Finding:
    suggestion = id_from_text(value)
    fix = f"write `{suggestion}`" if suggestion else "choose an id such as `khu-1`"
    return Finding(path, f"`{value}` is not a valid id: {ID_RULE}", fix)


def _rule(path: KeyPath, msg: str) -> Finding:
    text = msg.removeprefix("Value error, ")
    message, _, fix = text.partition("; ")
    return Finding(path, message.rstrip("."), fix or "correct the value")


def _out_of_range(
    path: KeyPath, kind: str, value: Any, ctx: dict[str, Any], example: str
) -> Finding:
    bound = {
        "greater_than_equal": f"at least {ctx.get('ge')}",
        "less_than_equal": f"at most {ctx.get('le')}",
        "greater_than": f"more than {ctx.get('gt')}",
        "less_than": f"less than {ctx.get('lt')}",
    }[kind]
    field = _field(path)
    hint = " (0 to 100)" if field in ("volume", "priority") else ""
    return Finding(
        path,
        f"`{field}` is {shown(value)}, but must be {bound}",
        f"write a number{hint} like `{example}`",
    )
