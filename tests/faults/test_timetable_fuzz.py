"""Fuzzed timetables through the loader `broadcastd validate` and the daemon share.

A few hundred mutations of the shipped schedules (bytes inserted, lines dropped,
doubled or re-indented, values replaced, files cut short), plus the inputs that broke
the YAML reader (NUL and ESC bytes, 5,000 nested brackets, alias bombs): every result
is a timetable, or problems that each say where and what to change; no exception
escapes, and the loader's safety net for bugs is never needed. Hypothesis' deadline
is only a hang guard (the alias bomb used to take minutes), not a speed claim.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from broadcastd.audio.catalogue import Catalogue
from broadcastd.timetable.loader import TimetableSet, load_timetables
from broadcastd.timetable.report import render
from broadcastd.timetable.source import YamlSyntaxError, read_yaml

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = sorted((ROOT / "schedules").glob("*.yaml"))
NOW = datetime(2026, 11, 29, 0, 0, tzinfo=UTC)
SAFETY_NET = "could not be checked"
HANG_GUARD = settings(
    max_examples=300,
    deadline=timedelta(seconds=20),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Fragments that YAML, the model or the checks treat specially.
FRAGMENTS = [
    "\x00", "\x1b", "\x7f", "\t", "\r", "\r\n", "\ufeff", "\u2028", "\ud800",
    "[", "]", "{", "}", ",", ": ", ":", "- ", "? ", "|", ">", "#", "'", '"', "\\",
    "&a ", "*a", "&b [*a, *a, *a]", "<<: *a", "!!python/object/apply:os.system ['id']",
    "!!binary aGVsbG8=", "!!set", "%YAML 1.1\n", "---\n", "...\n", "~", "null", "yes",
    "05:30", "25:00", "2026-02-30", "1e309", ".nan", "-.inf", "0x1F", "010",
    "99999999999999999999999999", "-1", "loa-01\n", "khu-1", "morning", "all", "daily",
    "Xã Mạn Lạn", "🙂", " " * 7,
]


def shipped_text(path: Path) -> str:
    return path.read_text(encoding="utf-8")


@st.composite
def mutations(draw: st.DrawFn) -> bytes:
    """A shipped timetable, changed one to four times as a clumsy edit (or a fuzzer) would."""
    text = shipped_text(draw(st.sampled_from(SHIPPED)))
    for _ in range(draw(st.integers(1, 4))):
        lines = text.splitlines(keepends=True)
        kind = draw(st.sampled_from(
            ["insert", "delete", "value", "double", "indent", "swap", "truncate", "bytes"]
        ))
        at = draw(st.integers(0, max(len(text) - 1, 0)))
        line = draw(st.integers(0, max(len(lines) - 1, 0)))
        if kind == "insert":
            fragment = draw(st.sampled_from(FRAGMENTS) | st.text(max_size=12))
            text = text[:at] + fragment + text[at:]
        elif kind == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 200)):]
        elif kind == "value" and lines and ": " in lines[line]:
            key = lines[line].split(": ", 1)[0]
            value = draw(st.sampled_from(FRAGMENTS) | st.text(max_size=20))
            lines[line] = f"{key}: {value}\n"
            text = "".join(lines)
        elif kind == "double" and lines:
            lines.insert(line, lines[line])
            text = "".join(lines)
        elif kind == "indent" and lines:
            lines[line] = " " * draw(st.integers(1, 5)) + lines[line]
            text = "".join(lines)
        elif kind == "swap" and len(lines) > 1:
            other = draw(st.integers(0, len(lines) - 1))
            lines[line], lines[other] = lines[other], lines[line]
            text = "".join(lines)
        elif kind == "truncate":
            text = text[:at]
    raw = text.encode("utf-8", errors="surrogatepass")
    if draw(st.booleans()):
        at = draw(st.integers(0, len(raw)))
        raw = raw[:at] + draw(st.binary(min_size=1, max_size=6)) + raw[at:]
    return raw


def billion_laughs(levels: int = 9) -> str:
    text = 'lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    for level in range(1, levels):
        text += f"lol{level}: &lol{level} [" + ", ".join([f"*lol{level - 1}"] * 9) + "]\n"
    return text


def breakers() -> dict[str, bytes]:
    """The inputs seen to break the reader or hang it, each inside a real timetable."""
    base = shipped_text(ROOT / "schedules" / "man-lan.yaml")
    return {
        "nul byte": base.replace("Xã Mạn Lạn", "Xã\x00Mạn Lạn", 1).encode(),
        "esc byte": base.replace("Huyện", "\x1b[1mHuyện", 1).encode(),
        "5000 nested [": (base + "note: " + "[" * 5000 + "\n").encode(),
        "5000 nested {": (base + "note: " + "{a: " * 5000 + "\n").encode(),
        "600 nested block lists": (base + "note:\n" + "".join(
            " " * n + "-\n" for n in range(600))).encode(),
        "alias bomb": billion_laughs().encode(),
        "alias bomb in a timetable": (base + "x:\n" + "".join(
            "  " + line + "\n" for line in billion_laughs().splitlines())).encode(),
        "alias in itself": (base + "x: &x {a: *x}\n").encode(),
        "merge-key bomb": (base + "".join(
            f"m{n}: &m{n} {{<<: [*m{n - 1}, *m{n - 1}], k{n}: 1}}\n" if n else "m0: &m0 {k: 1}\n"
            for n in range(30))).encode(),
        "2 MiB": (base + "# " + "x" * (2 << 20) + "\n").encode(),
        "not utf-8": base.encode("utf-16"),
        "lone surrogate": base.encode() + b"\xed\xa0\x80\n",
        "python tag": (base + "x: !!python/object/apply:os.system ['true']\n").encode(),
        "empty": b"",
        "only a comment": b"# nothing\n",
        "a list": b"- 1\n- 2\n",
        "60,000 keys": ("commune:\n" + "".join(f"  k{n}: 1\n" for n in range(60_000))).encode(),
    }


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return Catalogue.load(ROOT / "audio_library")


def load_bytes(directory: Path, raw: bytes, catalogue: Catalogue) -> TimetableSet:
    path = directory / "commune.yaml"
    path.write_bytes(raw)
    return load_timetables([path], catalogue)


def assert_told_to_a_person(found: TimetableSet) -> None:
    """A timetable without errors, or errors that each say what to change; the report
    `validate` prints is built from it without raising."""
    assert found.timetables or found.errors
    for problem in found.problems:
        assert SAFETY_NET not in problem.message, str(problem)
        assert problem.message and problem.fix, str(problem)
        assert problem.file.name == "commune.yaml"
    for lang, fix in (("en", "Fix:"), ("vi", "Cách sửa:")):
        text, code = render(found, NOW, lang=lang)
        assert code == (1 if found.errors else 0)
        assert (fix in text) == bool(found.problems)


@HANG_GUARD
@given(raw=mutations())
def test_a_mutated_shipped_timetable_loads_or_is_explained(
    tmp_path: Path, catalogue: Catalogue, raw: bytes
) -> None:
    assert_told_to_a_person(load_bytes(tmp_path, raw, catalogue))


@pytest.mark.parametrize("name", sorted(breakers()))
def test_the_inputs_that_broke_the_reader_are_explained(
    tmp_path: Path, catalogue: Catalogue, name: str
) -> None:
    found = load_bytes(tmp_path, breakers()[name], catalogue)
    assert_told_to_a_person(found)
    assert found.timetables == []


@HANG_GUARD
@given(text=st.text(max_size=400) | st.sampled_from(FRAGMENTS).map(lambda f: f * 300))
def test_any_text_is_yaml_or_a_syntax_error_with_a_hint(text: str) -> None:
    try:
        read_yaml(text)
    except YamlSyntaxError as refused:
        assert refused.problem and refused.hint
        assert refused.line is None or refused.line >= 1


def test_the_shipped_timetables_still_load(catalogue: Catalogue) -> None:
    found = load_timetables([ROOT / "schedules"], catalogue)
    assert found.ok, [str(problem) for problem in found.problems]
    assert len(found.timetables) == len(SHIPPED)
