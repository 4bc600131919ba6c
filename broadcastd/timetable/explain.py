"""Pydantic's validation errors, retold for commune officials with a fix for each.

Pydantic says `extra_forbidden at ('commune', 'timezon')`; an official needs "unknown
key `timezon` (did you mean `timezone`?)" on the right line. Pure: works on the error
list and the YAML node tree.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable
from typing import Any

import yaml
from pydantic import BaseModel
from pydantic_core import ErrorDetails

from broadcastd.i18n import Text, _
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
from broadcastd.timetable.problems import Finding, RuleBroken
from broadcastd.timetable.source import KeyPath, value_node

ID_RULE = _(
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

EXAMPLES: dict[str, str] = {  # YAML as written; a `Text` where the words are Vietnamese too
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
    "days": _("days: [mon, thu]"),
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

_UNIONS: dict[str, tuple[Text, Text]] = {
    "target": (
        _("`target` must be `all`, or `areas:` and/or `clusters:` lists"),
        _("write `target: all`, or `target: {areas: [khu-1, khu-2]}`"),
    ),
    "days": (
        _(
            "`days` must be `daily` or a list of weekdays (mon tue wed thu fri sat sun, "
            "or thứ hai ... chủ nhật, t2 ... t7, cn)"
        ),
        _("write `days: daily` or `days: [mon, thu]` or `days: [thứ hai, thứ năm]`"),
    ),
}

_EXPECTED_TOO: dict[str, Text] = {
    "days": _("; or in Vietnamese: thứ hai, thứ ba, ..., thứ bảy, chủ nhật (t2 ... t7, cn)"),
}
"""What a choice may also be written as, beyond the model's own words."""

_WHOLE = _("a whole number")
_GROUP = _("a group of `key: value` lines")
_DATE = _("a date written YYYY-MM-DD")
_YES_NO = _("true or false")
_TYPE_WORDS: dict[str, Text] = {
    "int_parsing": _WHOLE,
    "int_type": _WHOLE,
    "int_from_float": _WHOLE,
    "float_parsing": _("a number"),
    "float_type": _("a number"),
    "finite_number": _("a number of seconds"),
    "string_type": _("text"),
    "list_type": _("a list (items on lines starting with `- `, or `[a, b]`)"),
    "dict_type": _GROUP,
    "model_type": _GROUP,
    "model_attributes_type": _GROUP,
    "date_parsing": _DATE,
    "date_type": _DATE,
    "date_from_datetime_parsing": _DATE,
    "date_from_datetime_inexact": _DATE,
    "bool_type": _YES_NO,
    "bool_parsing": _YES_NO,
}


def shown(value: Any) -> str:
    """A value as the official wrote it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return _("a group of values") if isinstance(value, dict) else _("a list")
    return str(value)


_SCALAR_TAGS = ("float", "int", "str", "bool")
"""Union members named by their type alone (`duration_s`: a number or `rest`); a
constrained one is `constrained-float`."""


def _scalar_tag(segment: str) -> bool:
    return segment in _SCALAR_TAGS or segment.startswith("constrained-")


def _is_tag(segment: str | int) -> bool:
    """A union member's name in pydantic's location, not a key of the file."""
    return isinstance(segment, str) and ("[" in segment or _scalar_tag(segment))


def _branch_fits(tag: str, node: yaml.Node | None) -> bool:
    if tag.startswith("literal[") or _scalar_tag(tag):
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
        return Finding(
            path,
            _("`{field}` is missing").format(field=field),
            _("add it, for example `{example}`").format(example=example),
        )
    if kind == "string_pattern_mismatch":
        return _bad_id(path, str(value))
    if kind == "value_error":
        return _rule(path, error)
    if kind == "literal_error":
        expected = _choices(str(ctx.get("expected", "")))
        return Finding(
            path,
            _("`{value}` is not allowed here; the choices are: {expected}{also}").format(
                value=shown(value), expected=expected, also=_EXPECTED_TOO.get(field, "")
            ),
            _("write one of them, for example `{example}`").format(example=example),
        )
    if kind == "too_short":
        return Finding(
            path,
            _("`{field}` is empty").format(field=field),
            _("add at least one, for example `{example}`").format(example=example),
        )
    if kind == "string_too_short":
        return Finding(
            path,
            _("`{field}` is empty").format(field=field),
            _("write some text, for example `{example}`").format(example=example),
        )
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return _out_of_range(path, kind, value, ctx, example)
    if kind == "string_type" and isinstance(value, (int, float, bool)):
        return Finding(
            path,
            _("`{value}` is read as a number or yes/no value, but text is expected").format(
                value=shown(value)
            ),
            _('put it in quotes: `{field}: "{value}"`').format(field=field, value=shown(value)),
        )
    if kind in _TYPE_WORDS:
        return Finding(
            path,
            _("`{field}` should be {kind}, not `{value}`").format(
                field=field, kind=_TYPE_WORDS[kind], value=shown(value)
            ),
            _("write it like `{example}`").format(example=example),
        )
    return Finding(
        path,
        _("{pydantic_message}").format(pydantic_message=str(error["msg"])),
        _("write it like `{example}`").format(example=example),
    )


def _choices(expected: str) -> Text | str:
    """Pydantic's `'mon', 'tue' or 'sun'` as `mon, tue or sun`, `or` in the reader's
    language."""
    words = re.findall(r"'([^']*)'", expected)
    if len(words) < 2:
        return expected.replace("'", "")
    return _("{choices} or {last}").format(choices=", ".join(words[:-1]), last=words[-1])


def _unknown_key(path: KeyPath) -> Finding:
    key = str(path[-1])
    allowed = sorted(_model_of(path[:-1]).model_fields)
    close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    if close:
        return Finding(
            path,
            _("unknown key `{key}` (did you mean `{close}`?)").format(key=key, close=close[0]),
            _("rename it to `{close}`").format(close=close[0]),
        )
    return Finding(
        path,
        _("unknown key `{key}`").format(key=key),
        _("remove it; the keys allowed here are: {keys}").format(keys=", ".join(allowed)),
    )


def _bad_id(path: KeyPath, value: str) -> Finding:
    suggestion = id_from_text(value)
    fix = (
        _("write `{suggestion}`").format(suggestion=suggestion)
        if suggestion
        else _("choose an id such as `khu-1`")
    )
    return Finding(
        path, _("`{value}` is not a valid id: {rule}").format(value=value, rule=ID_RULE), fix
    )


def _rule(path: KeyPath, error: ErrorDetails) -> Finding:
    """A model rule's refusal: a `RuleBroken` carries both halves as messages; another
    ValueError's text is split at its first `; ` (message; fix), in English."""
    raised = (error.get("ctx") or {}).get("error")
    if isinstance(raised, RuleBroken):
        return Finding(path, raised.message, raised.fix)
    text = str(error["msg"]).removeprefix("Value error, ")
    message, _sep, fix = text.partition("; ")
    return Finding(
        path,
        _("{pydantic_message}").format(pydantic_message=message.rstrip(".")),
        _("{pydantic_fix}").format(pydantic_fix=fix) if fix else _("correct the value"),
    )


def _out_of_range(
    path: KeyPath, kind: str, value: Any, ctx: dict[str, Any], example: str
) -> Finding:
    bound = {
        "greater_than_equal": _("at least {limit}").format(limit=ctx.get("ge")),
        "less_than_equal": _("at most {limit}").format(limit=ctx.get("le")),
        "greater_than": _("more than {limit}").format(limit=ctx.get("gt")),
        "less_than": _("less than {limit}").format(limit=ctx.get("lt")),
    }[kind]
    field = _field(path)
    if field in ("volume", "priority"):
        fix = _("write a number (0 to 100) like `{example}`").format(example=example)
    else:
        fix = _("write a number like `{example}`").format(example=example)
    return Finding(
        path,
        _("`{field}` is {value}, but must be {bound}").format(
            field=field, value=shown(value), bound=bound
        ),
        fix,
    )
