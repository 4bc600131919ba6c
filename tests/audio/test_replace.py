"""Replacing a recording in place (`audio add --replace`, issue 13): refused when a
timetable would overrun, applied when it fits, the old file served to broadcasts already
sent until lead time + 24 h, then removed."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from broadcastd import cli
from broadcastd.audio.catalogue import AudioEntry, Catalogue
from broadcastd.audio.errors import NameTaken, NothingToReplace, ReplaceRefused
from broadcastd.audio.ffmpeg import AudioTools
from broadcastd.audio.importer import ImportReport, Replacement, import_file
from broadcastd.audio.retired import retention
from broadcastd.timetable.swap import swap_problems
from tests.audio.conftest import LiveServer, MakeAudio, snapshot
from tests.timetable.helpers import BASE, line_with

T0 = datetime(2026, 11, 29, 5, 0, tzinfo=UTC)
FIXED_RELAY = "      - stream: http://relay.example/live\n        duration_s: 50\n"
REST_RELAY = "      - stream: http://relay.example/live\n        duration_s: rest\n"


def timetable(relay: str) -> str:
    """A 60-second morning slot: the bulletin (8 s now), then the district relay."""
    return BASE.replace('end: "06:00"', 'end: "05:31"').replace(
        "      - stream: http://relay.example/live\n        duration_s: 1700\n",
        "      - audio: ban-tin-sang\n" + relay)


def at(moment: datetime) -> Callable[[], datetime]:
    return lambda: moment


def checked_against(schedules: Path, lead_time_s: float = 120.0) -> Replacement:
    """What the CLI wires: every timetable under `schedules` checked with the new length."""

    def check(catalogue: Catalogue, entry: AudioEntry) -> list[str]:
        return [str(problem) for problem in swap_problems([schedules], catalogue, entry)]

    return Replacement(check, retention(lead_time_s))


@pytest.fixture
def bulletins(make_audio: MakeAudio) -> dict[str, Path]:
    """This week's bulletin (8 s) and next week's: a longer one (14 s) and a short one."""
    return {
        "old": make_audio("ban tin tuan nay.wav", "sine=f=440:d=8"),
        "longer": make_audio("ban tin tuan sau.wav", "sine=f=550:d=14"),
        "shorter": make_audio("ban tin ngan.wav", "sine=f=660:d=5"),
    }


def start(library: Path, tmp_path: Path, bulletins: dict[str, Path], relay: str,
          tools: AudioTools) -> tuple[Path, AudioEntry]:
    schedules = tmp_path / "schedules"
    schedules.mkdir()
    (schedules / "thu-nghiem.yaml").write_text(timetable(relay), encoding="utf-8")
    old = import_file(bulletins["old"], library, name="ban-tin-sang", title="Bản tin sáng",
                      tools=tools, now=at(T0)).entry
    return schedules, old


def replace_with(source: Path, library: Path, schedules: Path, tools: AudioTools,
                 name: str = "ban-tin-sang", when: datetime = T0 + timedelta(days=7),
                 lead_time_s: float = 120.0) -> ImportReport:
    """`audio add SOURCE --name NAME --replace`, a week after the first recording."""
    return import_file(source, library, name=name, tools=tools, now=at(when),
                       replace=checked_against(schedules, lead_time_s))


def test_a_replace_that_would_overrun_is_refused_naming_the_slot_and_by_how_much(
    library: Path, tmp_path: Path, bulletins: dict[str, Path], tools: AudioTools
) -> None:
    schedules, old = start(library, tmp_path, bulletins, FIXED_RELAY, tools)
    before = snapshot(library)

    with pytest.raises(ReplaceRefused) as refused:
        replace_with(bulletins["longer"], library, schedules, tools)

    message = str(refused.value)
    assert "replacing ban-tin-sang (8.0 s -> 14.0 s)" in message
    line = line_with(timetable(FIXED_RELAY), "playlist:")
    assert f"{schedules / 'thu-nghiem.yaml'}:{line}: slots -> morning -> playlist:" in message
    assert ("the playlist of slot `morning` lasts 1:04, longer than its window "
            "(05:30-05:31, 1:00) by 0:04") in message
    assert "nothing was changed" in message
    assert snapshot(library) == before
    assert Catalogue.load(library).get("ban-tin-sang") == old


def test_a_shorter_bulletin_replaces_the_old_and_the_old_file_is_retired(
    library: Path, tmp_path: Path, bulletins: dict[str, Path], tools: AudioTools
) -> None:
    schedules, old = start(library, tmp_path, bulletins, FIXED_RELAY, tools)
    swapped_at = T0 + timedelta(days=7)

    report = replace_with(bulletins["shorter"], library, schedules, tools, when=swapped_at,
                          lead_time_s=600)

    catalogue = Catalogue.load(library)
    entry = catalogue.get("ban-tin-sang")
    assert entry == report.entry and entry is not None
    assert entry.file != old.file and abs(entry.duration_s - 5.0) <= 0.05
    assert entry.title == "Bản tin sáng"  # the same item, a new recording
    assert entry.source == "ban tin ngan.wav" and entry.imported_at == swapped_at
    (kept,) = catalogue.retired
    assert (kept.file, kept.sha256, kept.name) == (old.file, old.sha256, "ban-tin-sang")
    assert kept.retired_at == swapped_at
    assert kept.keep_until == swapped_at + timedelta(seconds=600, hours=24)
    assert (library / old.file).is_file() and (library / entry.file).is_file()


@pytest.mark.parametrize("other_commune", [None, "broken"])
def test_a_rest_relay_absorbs_a_longer_bulletin(
    library: Path, tmp_path: Path, bulletins: dict[str, Path], tools: AudioTools,
    other_commune: str | None,
) -> None:
    """Also when another commune's timetable already has an error: only the errors the
    swap brings refuse it."""
    schedules, _ = start(library, tmp_path, bulletins, REST_RELAY, tools)
    if other_commune == "broken":
        broken = timetable(REST_RELAY).replace("thu-nghiem", "xa-khac").replace(
            "ban-tin-sang", "khong-co")  # names an item the library lacks
        (schedules / "xa-khac.yaml").write_text(broken, encoding="utf-8")

    replace_with(bulletins["longer"], library, schedules, tools)

    entry = Catalogue.load(library).get("ban-tin-sang")
    assert entry is not None and abs(entry.duration_s - 14.0) <= 0.05


def test_a_timetable_that_plays_it_but_cannot_be_read_blocks_the_replace(
    library: Path, tmp_path: Path, bulletins: dict[str, Path], tools: AudioTools
) -> None:
    """The daemon runs such a file's last good version, which the check cannot see."""
    schedules, old = start(library, tmp_path, bulletins, REST_RELAY, tools)
    broken = schedules / "thu-nghiem.yaml"
    broken.write_text(timetable(REST_RELAY).replace('end: "05:31"', 'end: "05:31'))

    with pytest.raises(ReplaceRefused) as refused:
        replace_with(bulletins["longer"], library, schedules, tools)
    assert (f"{broken}: this timetable may play ban-tin-sang but has errors that keep it "
            "from being checked") in str(refused.value)
    assert Catalogue.load(library).get("ban-tin-sang") == old


def test_a_missing_timetable_folder_blocks_the_replace(
    library: Path, tmp_path: Path, bulletins: dict[str, Path], tools: AudioTools
) -> None:
    """Run from the wrong folder without a config: nothing could be checked."""
    _, old = start(library, tmp_path, bulletins, REST_RELAY, tools)

    with pytest.raises(ReplaceRefused) as refused:
        replace_with(bulletins["shorter"], library, tmp_path / "nowhere", tools)
    assert "nowhere: this timetable folder does not exist" in str(refused.value)
    assert Catalogue.load(library).get("ban-tin-sang") == old


def test_replace_needs_an_existing_name_and_add_says_how_to_replace(
    library: Path, tmp_path: Path, bulletins: dict[str, Path], tools: AudioTools
) -> None:
    schedules, _ = start(library, tmp_path, bulletins, REST_RELAY, tools)
    before = snapshot(library)

    with pytest.raises(NothingToReplace) as unknown:
        replace_with(bulletins["longer"], library, schedules, tools, name="ban-tin-toi")
    assert "no item 'ban-tin-toi' to replace; drop --replace" in str(unknown.value)

    with pytest.raises(NameTaken) as taken:
        import_file(bulletins["longer"], library, name="ban-tin-sang", tools=tools)
    assert "add --replace to swap the recording" in str(taken.value)
    assert snapshot(library) == before


def test_the_old_file_is_served_until_kept_no_longer_then_removed(
    library: Path, tmp_path: Path, bulletins: dict[str, Path], tools: AudioTools,
    live_server: LiveServer, make_audio: MakeAudio,
) -> None:
    """A cluster sent the old URL before the swap still fetches it; an import or a remove
    after `keep_until` deletes it."""
    schedules, old = start(library, tmp_path, bulletins, REST_RELAY, tools)
    swapped_at = T0 + timedelta(days=7)
    new = replace_with(bulletins["longer"], library, schedules, tools, when=swapped_at).entry
    keep_until = swapped_at + retention()

    for entry in (old, new):
        response = httpx.get(f"{live_server.base_url}/audio/{entry.file}")
        assert response.status_code == 200 and response.headers["etag"] == f'"{entry.sha256}"'

    jingle = make_audio("nhac hieu.wav", "sine=f=880:d=2")
    import_file(jingle, library, tools=tools, now=at(keep_until - timedelta(seconds=1)))
    assert (library / old.file).is_file()
    assert httpx.get(f"{live_server.base_url}/audio/{old.file}").status_code == 200

    weather = make_audio("thoi tiet.wav", "sine=f=330:d=2")
    import_file(weather, library, tools=tools, now=at(keep_until))
    assert not (library / old.file).exists()
    assert Catalogue.load(library).retired == ()
    assert httpx.get(f"{live_server.base_url}/audio/{old.file}").status_code == 404
    assert httpx.get(f"{live_server.base_url}/audio/{new.file}").status_code == 200


def test_the_command_replaces_checks_and_lists(
    library: Path, tmp_path: Path, bulletins: dict[str, Path], tools: AudioTools,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """`broadcastd audio add FILE --name X --replace` with the config's timetables and
    lead time, as an official runs it."""
    _, old = start(library, tmp_path, bulletins, FIXED_RELAY, tools)
    config = tmp_path / "broadcastd.yaml"
    config.write_text("paths:\n  schedules: schedules\ndelivery:\n  lead_time_s: 600\n",
                      encoding="utf-8")
    monkeypatch.setenv(cli.CONFIG_ENV, str(config))

    def broadcastd(*argv: str) -> int:
        return cli.main(["--lang", "en", "audio", *argv, "--library", str(library)])

    assert broadcastd("add", str(bulletins["longer"]), "--name", "ban-tin-sang",
                      "--replace") == 1
    err = capsys.readouterr().err
    assert "slot `morning` lasts 1:04" in err and "by 0:04" in err
    assert Catalogue.load(library).get("ban-tin-sang") == old
    # As the official reads it, in Vietnamese by default.
    assert cli.main(["audio", "add", str(bulletins["longer"]), "--name", "ban-tin-sang",
                     "--replace", "--library", str(library)]) == 1
    err = capsys.readouterr().err
    assert "sẽ làm hỏng các lịch phát đang dùng nó; chưa thay đổi gì" in err
    assert "khung giờ `morning` dài 1:04, vượt 0:04" in err
    assert Catalogue.load(library).get("ban-tin-sang") == old

    assert broadcastd("add", str(bulletins["shorter"]), "--name", "ban-tin-sang",
                      "--replace") == 0
    out = capsys.readouterr().out
    assert out.startswith("replaced ban-tin-sang: 'Bản tin sáng' 5.0 s")
    assert f"the old recording {old.file} stays served" in out
    (kept,) = Catalogue.load(library).retired
    assert kept.keep_until - kept.retired_at == timedelta(seconds=600, hours=24)

    assert broadcastd("check") == 0
    out = capsys.readouterr().out
    assert f"retired: {old.file} (was ban-tin-sang) kept until " in out
    assert "ok: 1 item, every file present" in out
    assert broadcastd("list") == 0
    assert "1 replaced recording kept" in capsys.readouterr().out

    assert broadcastd("add", str(bulletins["longer"]), "--name", "ban-tin-toi",
                      "--replace") == 1
    assert "drop --replace" in capsys.readouterr().err


def test_the_command_counts_the_spoken_text_items_of_the_slot(
    library: Path, tmp_path: Path, bulletins: dict[str, Path], tools: AudioTools,
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
) -> None:
    """A `text:` item is spoken (espeak-ng, about 6 s) into the library while the import
    holds its lock: the 14 s bulletin fits 43 s of relay alone, not with the text."""
    text = '      - text: "Thông báo: tối nay họp dân khu 7 lúc 19 giờ 30 tại nhà văn hóa."\n'
    relay = "      - stream: http://relay.example/live\n        duration_s: 43\n"
    _, old = start(library, tmp_path, bulletins, text + relay, tools)
    monkeypatch.setenv(cli.CONFIG_ENV, str(tmp_path / "broadcastd.yaml"))
    (tmp_path / "broadcastd.yaml").write_text("paths:\n  schedules: schedules\n")

    assert cli.main(["--lang", "en", "audio", "add", str(bulletins["longer"]), "--name",
                     "ban-tin-sang", "--replace", "--library", str(library)]) == 1
    assert "slot `morning` lasts 1:03, longer than its window" in capsys.readouterr().err
    assert Catalogue.load(library).get("ban-tin-sang") == old
