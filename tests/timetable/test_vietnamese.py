"""Every kind of timetable mistake, as the official reads it: in Vietnamese by default,
in English when asked, the YAML keys, ids and commands untouched.

Each case is one of the mistakes of test_validation.py / test_checks.py; the English
there stays asserted, and here both languages are asserted side by side.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from broadcastd.audio.catalogue import Catalogue
from broadcastd.i18n import from_environment, from_request, say
from broadcastd.timetable.loader import TimetableSet, load_timetables
from broadcastd.timetable.report import validate

from .helpers import BASE, BULLETINS, TWO_SLOTS, audio_timetable, write_library

Write = Callable[[str, str], Path]
REPO = Path(__file__).resolve().parents[2]

# name: (the mistake, English message | fix, Vietnamese message | fix)
SCHEMA_CASES: dict[str, tuple[str, str, str]] = {
    "misspelt key": (
        BASE.replace('  name: "Xã Thử Nghiệm"\n', '  name: "Xã Thử Nghiệm"\n  timezon: Asia/Bangkok\n'),
        "unknown key `timezon` (did you mean `timezone`?) | rename it to `timezone`",
        "không có mục `timezon` (có phải là `timezone`?) | đổi tên thành `timezone`",
    ),
    "unknown key": (
        BASE.replace('    start: "05:30"', '    start: "05:30"\n    colour: red'),
        ("unknown key `colour` | remove it; the keys allowed here are: days, end, id, on, "
        "playlist, priority, start, target, title, volume"),
        ("không có mục `colour` | xóa mục này; các mục dùng được ở đây là: days, end, id, on, "
        "playlist, priority, start, target, title, volume"),
    ),
    "wrong type": (
        BASE.replace('    end: "06:00"', '    end: "06:00"\n    volume: loud'),
        "`volume` should be a whole number, not `loud` | write it like `volume: 80`",
        "`volume` phải là một số nguyên, không phải `loud` | viết theo mẫu `volume: 80`",
    ),
    "out of range": (
        BASE.replace('    end: "06:00"', '    end: "06:00"\n    volume: 120'),
        "`volume` is 120, but must be at most 100 | write a number (0 to 100) like `volume: 80`",
        ("`volume` đang là 120, nhưng phải không quá 100 | viết một số (từ 0 đến 100), ví dụ "
        "`volume: 80`"),
    ),
    "bad id": (
        BASE.replace("  - id: khu-2", "  - id: Khu Đông"),
        ("`Khu Đông` is not a valid id: ids use only lower-case letters a-z, digits 0-9 and "
        "`-`, start with a letter or digit, and are at most 63 characters long | "
        "write `khu-dong`"),
        ("`Khu Đông` không phải là mã hợp lệ: mã chỉ gồm chữ thường a-z, chữ số 0-9 và dấu "
        "`-`, bắt đầu bằng chữ hoặc số, dài tối đa 63 ký tự | viết `khu-dong`"),
    ),
    "end before start": (
        BASE.replace('end: "06:00"', 'end: "05:00"'),
        ("end 05:00:00 is not after start 05:30:00 | move `end` later; a slot may not cross "
        "midnight: split it in two"),
        ("giờ kết thúc 05:00:00 không sau giờ bắt đầu 05:30:00 | lùi `end` muộn hơn; một khung "
        "giờ không được kéo qua nửa đêm: hãy tách thành hai khung giờ"),
    ),
    "not a time": (
        BASE.replace('start: "05:30"', 'start: "5h30"'),
        ("'5h30' is not a time of day | write the time as HH:MM or HH:MM:SS in quotes, for "
        'example "05:30"'),
        ("'5h30' không phải là giờ trong ngày | viết giờ theo dạng HH:MM hoặc HH:MM:SS trong "
        'dấu nháy, ví dụ "05:30"'),
    ),
    "missing end": (
        BASE.replace('    end: "06:00"\n', ""),
        '`end` is missing | add it, for example `end: "06:00"`',
        'thiếu `end` | thêm vào, ví dụ `end: "06:00"`',
    ),
    "target": (
        BASE.replace('    end: "06:00"', '    end: "06:00"\n    target: al'),
        ("`target` must be `all`, or `areas:` and/or `clusters:` lists | write `target: all`, "
        "or `target: {areas: [khu-1, khu-2]}`"),
        ("`target` phải là `all`, hoặc các danh sách `areas:` và/hoặc `clusters:` | viết "
        "`target: all`, hoặc `target: {areas: [khu-1, khu-2]}`"),
    ),
    "weekday": (
        BASE.replace('    end: "06:00"', '    end: "06:00"\n    days: [mon, thur]'),
        ("`thur` is not allowed here; the choices are: mon, tue, wed, thu, fri, sat or sun; or "
        "in Vietnamese: thứ hai, thứ ba, ..., thứ bảy, chủ nhật (t2 ... t7, cn) | write one of "
        "them, for example `days: [mon, thu]`"),
        ("`thur` không được phép ở đây; các lựa chọn là: mon, tue, wed, thu, fri, sat hoặc sun; "
        "hoặc bằng tiếng Việt: thứ hai, thứ ba, ..., thứ bảy, chủ nhật (t2 ... t7, cn) | viết "
        "một trong các lựa chọn đó, ví dụ `days: [thứ hai, thứ năm]`"),
    ),
    "a relay to the end that is not last": (
        BASE.replace("        duration_s: 1700\n", "")
        + "      - stream: http://relay.example/two\n        duration_s: 100\n",
        ("stream item #1 has no `duration_s:` (or `rest`), but only the last item can play "
         "until the slot's end | add how many seconds to play it, for example "
         "`duration_s: 1500`, or move it to the end of the playlist"),
        ("mục luồng tiếp sóng #1 chưa có `duration_s:` (hoặc `rest`), nhưng chỉ mục cuối cùng "
         "mới được phát đến hết khung giờ | thêm số giây cần phát, ví dụ `duration_s: 1500`, "
         "hoặc chuyển nó xuống cuối danh sách phát"),
    ),
    "a relay without end": (
        BASE.replace("duration_s: 1700", "duration_s: .inf"),
        ("`duration_s` should be a number of seconds, not `inf` | write it like "
         "`duration_s: 1500`"),
        "`duration_s` phải là một số giây, không phải `inf` | viết theo mẫu `duration_s: 1500`",
    ),
    "a relay length in words": (
        BASE.replace("duration_s: 1700", "duration_s: lots"),
        "`duration_s` should be a number, not `lots` | write it like `duration_s: 1500`",
        "`duration_s` phải là một số, không phải `lots` | viết theo mẫu `duration_s: 1500`",
    ),
    "priority": (
        BASE.replace('    end: "06:00"', '    end: "06:00"\n    priority: urgent'),
        ("`urgent` is not a priority | write one of `routine` (0), `priority` (50), `emergency` "
        "(100), or a whole number from 0 to 100"),
        ("`urgent` không phải là mức ưu tiên | viết một trong các mức `routine` (0), `priority` "
        "(50), `emergency` (100), hoặc một số nguyên từ 0 đến 100"),
    ),
    "tab": (
        BASE.replace('    start: "05:30"', '\tstart: "05:30"'),
        ("this is not valid YAML: a tab character, where YAML allows only spaces | replace "
         "the tab characters at the start of the line with spaces"),
        ("đây không phải YAML hợp lệ: có ký tự tab, trong khi YAML chỉ cho phép dấu cách | "
         "thay các ký tự tab ở đầu dòng bằng dấu cách"),
    ),
    "colon missing": (
        BASE.replace("  id: thu-nghiem", "  id thu-nghiem\n  district: x"),
        ("this is not valid YAML: a colon where no value can start | a value contains `: `; "
         "put the value in quotes, or check the key above is followed by a colon and that "
         "this line is indented under it"),
        ("đây không phải YAML hợp lệ: có dấu hai chấm ở chỗ không thể bắt đầu một giá trị | "
         "một giá trị có chứa `: `; hãy đặt giá trị trong dấu nháy, hoặc kiểm tra tên mục ở "
         "trên có dấu hai chấm và dòng này được thụt lề vào dưới nó"),
    ),
    "quote not closed": (
        BASE.replace('  name: "Xã Thử Nghiệm"', '  name: "Xã Thử Nghiệm'),
        ("this is not valid YAML: a quote that is never closed | a quote opened on this line "
         "is not closed: end the text with the same quote"),
        ("đây không phải YAML hợp lệ: có dấu nháy chưa đóng | dấu nháy mở ở dòng này chưa được "
         "đóng: kết thúc đoạn chữ bằng đúng dấu nháy đó"),
    ),
    "key written twice": (
        BASE.replace('    end: "06:00"', '    end: "06:00"\n    end: "06:15"'),
        "`end` is written twice here | keep one of them: YAML would silently use only the last",
        ("`end` được viết hai lần ở đây | chỉ giữ một: YAML sẽ lặng lẽ chỉ dùng cái viết sau "
        "cùng"),
    ),
    "number for an id": (
        BASE.replace("clusters: [loa-03]", "clusters: [7]"),
        ('`7` is read as a number or yes/no value, but text is expected | put it in quotes: '
        '`clusters: "7"`'),
        ('`7` bị đọc thành số hoặc giá trị đúng/sai, trong khi ở đây cần văn bản | đặt trong '
        'dấu nháy: `clusters: "7"`'),
    ),
    "cluster twice in an area": (
        BASE.replace("clusters: [loa-03]", "clusters: [loa-03, loa-03]"),
        "cluster `loa-03` is listed twice in area `khu-2` | remove the second one",
        "cụm loa `loa-03` được ghi hai lần trong khu `khu-2` | xóa lần ghi thứ hai",
    ),
    "cluster in two areas": (
        BASE.replace("clusters: [loa-03]", "clusters: [loa-01]"),
        ("cluster `loa-01` is in two areas: `khu-1` and `khu-2` | a cluster belongs to one "
        "area: remove it from one of them, or give the second loudspeaker its own id"),
        ("cụm loa `loa-01` nằm trong hai khu: `khu-1` và `khu-2` | mỗi cụm loa chỉ thuộc một "
        "khu: xóa nó khỏi một trong hai khu, hoặc đặt cho cụm loa thứ hai một mã riêng"),
    ),
    "unknown area": (
        BASE.replace("    start:", "    target: {areas: [khu-9]}\n    start:"),
        ("slot `morning` targets area `khu-9`, which is not in `areas` (did you mean "
        "`khu-2`?) | use an id from `areas`, or add that area"),
        ("khung giờ `morning` phát cho khu `khu-9`, nhưng khu này không có trong `areas` (có "
        "phải là `khu-2`?) | dùng một mã có trong `areas`, hoặc thêm khu đó vào"),
    ),
    "overlap": (
        TWO_SLOTS,
        ("slot `health` (05:50-06:10) overlaps slot `morning` (05:30-06:00) on mon, thu on "
        "cluster loa-03 | move one of them so they do not overlap, or give them different "
        "targets"),
        ("khung giờ `health` (05:50-06:10) trùng giờ với khung giờ `morning` (05:30-06:00) vào "
        "thứ hai, thứ năm trên cụm loa loa-03 | dời một trong hai khung giờ để chúng không "
        "trùng nhau, hoặc cho chúng phát đến những nơi khác nhau"),
    ),
    "skip that changes nothing": (
        BASE.replace("    start:", "    days: [mon]\n    start:")
        + "exceptions:\n  - date: 2026-12-05\n    skip: [morning]\n",
        ("slot `morning` does not play on 2026-12-05 (sat) anyway, so skipping it changes "
        "nothing | check the date, or remove this skip"),
        ("khung giờ `morning` vốn không phát vào ngày 2026-12-05 (thứ bảy), nên bỏ qua nó cũng "
        "không thay đổi gì | kiểm tra lại ngày, hoặc xóa mục bỏ qua này"),
    ),
    "empty file": (
        "# nothing yet\n",
        "the file is empty | write the commune's timetable; see docs/timetables.md",
        "tệp trống | viết lịch phát của xã vào; xem docs/timetables.md",
    ),
}


AUDIO_CASES: dict[str, tuple[str, str, str]] = {
    "audio not in the catalogue": (
        audio_timetable("      - audio: nhac-hieu\n      - audio: ban-tin-sng\n", '"05:31"'),
        ("slot `morning` plays audio `ban-tin-sng`, which is not in the catalogue (did you mean "
        "`ban-tin-sang`?) | correct the name (`broadcastd audio list` shows them), or import "
        "the file with `broadcastd audio add FILE --name ban-tin-sng`"),
        ("khung giờ `morning` phát âm thanh `ban-tin-sng`, nhưng tên này không có trong danh mục "
        "âm thanh (có phải là `ban-tin-sang`?) | sửa lại tên (lệnh `broadcastd audio list` "
        "liệt kê các tên), hoặc nhập tệp bằng `broadcastd audio add FILE --name ban-tin-sng`"),
    ),
    "playlist too long": (
        audio_timetable(
            "      - audio: nhac-hieu\n      - audio: suc-khoe\n      - audio: thoi-tiet\n",
            '"05:30:50"',
        ),
        ("the playlist of slot `morning` lasts 1:00, longer than its window (05:30-05:30:50, "
        "0:50) by 0:10 | shorten it by at least 0:10 (a stream's `duration_s`, or fewer "
        "items), or move `end` later; a relay at the end with `duration_s: rest` always fits "
        "what the items before it leave"),
        ("danh sách phát của khung giờ `morning` dài 1:00, vượt 0:10 so với khung thời gian "
        "(05:30-05:30:50, 0:50) | rút ngắn ít nhất 0:10 (giảm `duration_s` của luồng "
        "tiếp sóng, hoặc bớt mục), hoặc lùi `end` muộn hơn; luồng tiếp sóng ở cuối với "
        "`duration_s: rest` luôn vừa khít phần thời gian các mục trước để lại"),
    ),
    "playlist much too short": (
        audio_timetable("      - audio: nhac-hieu\n", '"05:32"'),
        ("the playlist of slot `morning` lasts 0:20, under half its window (05:30-05:32, "
        "2:00); the speakers stay silent for 1:40 | add items or lengthen a stream's "
        "`duration_s`, or move `end` earlier"),
        ("danh sách phát của khung giờ `morning` chỉ dài 0:20, chưa bằng nửa khung thời gian "
        "(05:30-05:32, 2:00); loa sẽ im lặng 1:40 | thêm mục hoặc tăng `duration_s` của luồng "
        "tiếp sóng, hoặc đưa `end` sớm hơn"),
    ),
}


def said(found: TimetableSet, lang: str) -> str:
    (problem,) = found.problems
    return f"{say(problem.message, lang)} | {say(problem.fix, lang)}"


@pytest.mark.parametrize("case", sorted(SCHEMA_CASES))
def test_each_timetable_mistake_in_both_languages(
    load: Callable[[str], TimetableSet], case: str
) -> None:
    text, english, vietnamese = SCHEMA_CASES[case]
    found = load(text)
    assert said(found, "en") == english
    assert said(found, "vi") == vietnamese


@pytest.mark.parametrize("case", sorted(AUDIO_CASES))
def test_each_audio_mistake_in_both_languages(write: Write, tmp_path: Path, case: str) -> None:
    library = write_library(tmp_path / "lib", dict.fromkeys(BULLETINS, 20.0))
    text, english, vietnamese = AUDIO_CASES[case]
    found = load_timetables([write("t.yaml", text)], Catalogue.load(library))
    assert said(found, "en") == english
    assert said(found, "vi") == vietnamese


def test_a_missing_file_and_a_repeated_commune_in_vietnamese(
    write: Write, tmp_path: Path
) -> None:
    library = write_library(tmp_path / "lib", {"nhac-hieu": 30.0}, missing=("nhac-hieu",))
    first = write("a.yaml", audio_timetable("      - audio: nhac-hieu\n", '"05:31"'))
    write("b.yaml", BASE)
    found = load_timetables([first.parent], Catalogue.load(library))
    assert [say(p.message, "vi") for p in found.errors] == [
        "tệp của âm thanh `nhac-hieu` (khung giờ `morning`) không còn trong thư viện âm thanh",
        f"xã `thu-nghiem` cũng đã được khai báo trong {first}",
    ]


def test_the_validate_report_in_vietnamese_counts_and_says_the_next_broadcast(
    write: Write, tmp_path: Path
) -> None:
    from datetime import UTC, datetime

    now = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
    good = write("good.yaml", BASE)
    text, code = validate([good], None, now, lang="vi")
    assert (text, code) == (
        ("thu-nghiem  Xã Thử Nghiệm: 2 khu, 3 cụm loa, 1 khung giờ, buổi phát tiếp theo "
        "thu-nghiem/morning/2026-11-30 lúc 2026-11-30 05:30 +07"),
        0,
    )
    bad = write("good.yaml", SCHEMA_CASES["missing end"][0])
    text, code = validate([bad], None, now, lang="vi")
    assert code == 1
    assert text.splitlines() == [
        (f"{bad}:12: slots -> morning -> end: thiếu `end`. Cách sửa: thêm vào, ví dụ "
        '`end: "06:00"`'),
        "1 lỗi, 0 cảnh báo: hãy sửa các lỗi ở trên rồi chạy lại `broadcastd validate`.",
    ]


def run_validate(args: list[str], env: dict[str, str]) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("LANG", "LC_ALL", "LC_MESSAGES",
                                                                 "BROADCASTD_LANG")}
    result = subprocess.run(
        [sys.executable, "-m", "broadcastd", *args],
        check=False, capture_output=True, text=True, env={**environ, **env}, cwd=REPO,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    return result.stdout


@pytest.mark.parametrize(("args", "env", "fix"), [
    ([], {}, "Cách sửa: thêm vào"),
    ([], {"LANG": "C.UTF-8"}, "Cách sửa: thêm vào"),
    ([], {"LANG": "vi_VN.UTF-8"}, "Cách sửa: thêm vào"),
    (["--lang", "en"], {}, "Fix: add it"),
    ([], {"LANG": "en_US.UTF-8"}, "Fix: add it"),
    ([], {"BROADCASTD_LANG": "en"}, "Fix: add it"),
    (["--lang", "vi"], {"LANG": "en_US.UTF-8"}, "Cách sửa: thêm vào"),
])
def test_validate_speaks_vietnamese_unless_english_is_asked_for(
    write: Write, args: list[str], env: dict[str, str], fix: str
) -> None:
    bad = write("t.yaml", SCHEMA_CASES["missing end"][0])
    out = run_validate([*args, "validate", str(bad), "--library", str(REPO / "audio_library")],
                       env)
    assert fix in out


def test_the_language_is_chosen_from_the_flag_then_the_environment() -> None:
    assert from_environment(None, {}) == "vi"
    assert from_environment(None, {"LANG": "C"}) == "vi"
    assert from_environment(None, {"LANG": "POSIX"}) == "vi"
    assert from_environment(None, {"LANG": "fr_FR.UTF-8"}) == "vi"
    assert from_environment(None, {"LANG": "en_GB.UTF-8"}) == "en"
    assert from_environment(None, {"LC_ALL": "vi_VN", "LANG": "en_US"}) == "vi"
    assert from_environment(None, {"BROADCASTD_LANG": "vi", "LANG": "en_US"}) == "vi"
    assert from_environment("en", {"BROADCASTD_LANG": "vi"}) == "en"


def test_a_request_asks_for_its_language() -> None:
    assert from_request(None, None) == "vi"
    assert from_request("en", "vi") == "en"
    assert from_request(None, "en-US,en;q=0.9") == "en"
    assert from_request(None, "fr-FR, en;q=0.5, vi;q=0.8") == "vi"
    assert from_request(None, "fr-FR") == "vi"
    assert from_request(None, "en;q=0") == "vi"


def test_a_broken_catalogue_is_said_in_vietnamese_first(tmp_path: Path, write: Write) -> None:
    from datetime import UTC, datetime

    library = tmp_path / "lib"
    library.mkdir()
    (library / "catalogue.yaml").write_text("version: 1\nitems: [\n", encoding="utf-8")
    good = write("good.yaml", BASE)
    text, code = validate([good], library, datetime(2026, 11, 29, 3, 0, tzinfo=UTC), lang="vi")
    assert code == 1
    first, last = text.splitlines()
    assert first.startswith(f"{library / 'catalogue.yaml'}, dòng 3: không phải YAML hợp lệ (")
    assert first.endswith(
        "hoặc khôi phục tệp, rồi chạy `broadcastd audio check` (chưa kiểm tra các mục âm thanh)"
    )
    assert last == "1 lỗi, 0 cảnh báo: hãy sửa các lỗi ở trên rồi chạy lại `broadcastd validate`."
