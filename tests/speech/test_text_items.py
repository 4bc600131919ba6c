"""`text:` items in timetables and announcements: validated, spoken once at load time,
measured before the window check, and played like any file (URL and sha256)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from broadcastd.announce.cli import announcement_body
from broadcastd.announce.model import AnnouncementRequest
from broadcastd.announce.plan import AnnouncementRefused, to_occurrence
from broadcastd.audio.catalogue import Catalogue
from broadcastd.audio.files import sha256_file
from broadcastd.delivery.playlist import PlaylistResolver
from broadcastd.planning.occurrences import plan
from broadcastd.speech import text_lengths
from broadcastd.speech.cache import Speaker
from broadcastd.speech.engines import CommandEngine, EspeakEngine, SpeechEngine
from broadcastd.timetable.loader import TimetableSet, load_timetables
from tests.speech.conftest import CountedEngine
from tests.timetable.helpers import BASE, line_with

NOTICE = "Họp dân khu 7 lúc 19h30 ngày 29/11/2026 tại nhà văn hóa khu 7."
BASE_URL = "http://192.0.2.1:8080"


def commune(playlist: str, commune_id: str = "thu-nghiem", window: str = '"06:00"') -> str:
    text = BASE.replace("id: thu-nghiem", f"id: {commune_id}").replace('"06:00"', window)
    head = text[: text.index("    playlist:")]
    return head + "    playlist:\n" + playlist


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


TEXT_SLOT = f'      - text: "{NOTICE}"\n        title: "Họp dân khu 7"\n'
RELAY = "      - stream: http://relay.example/live\n        duration_s: 1700\n"
FAILING = CommandEngine("false {wav}")


def load_with(engine: SpeechEngine, library: Path, path: Path) -> TimetableSet:
    """Timetables loaded as the daemon loads them, speaking with `engine`."""
    return load_timetables([path], Catalogue.load(library), text_lengths(Speaker(library, engine)))


def test_a_text_item_validates_and_its_play_carries_the_speech_sha256(
    tmp_path: Path, library: Path, speaker: Speaker, espeak: CountedEngine
) -> None:
    schedules = tmp_path / "schedules"
    write(schedules, "a.yaml", commune(TEXT_SLOT, window='"05:31"'))
    loaded = load_with(espeak, library, schedules)
    assert loaded.ok, [str(p) for p in loaded.problems]
    timetable = loaded.timetables[0].timetable
    since = datetime(2026, 11, 28, 22, 0, tzinfo=UTC)  # 05:00 in the commune
    (occurrence,) = plan([timetable], since, datetime(2026, 11, 28, 23, 0, tzinfo=UTC))
    resolver = PlaylistResolver(lambda: Catalogue.load(library), BASE_URL, spoken=speaker.lookup)
    (item,) = resolver.items(occurrence.playlist, occurrence.broadcast_id, 60)
    speech = speaker.lookup(NOTICE)
    assert speech is not None
    assert item.kind == "file"
    assert item.url == f"{BASE_URL}/audio/{speech.file}"
    assert item.sha256 == sha256_file(library / speech.file)
    assert item.title == "Họp dân khu 7"
    assert item.duration_s == speech.duration_s > 3
    # A reload (or a restart) speaks nothing again.
    load_with(espeak, library, schedules)
    assert espeak.calls == 1


def test_the_speech_length_counts_in_the_window_check(
    tmp_path: Path, library: Path, espeak: CountedEngine
) -> None:
    text = commune(TEXT_SLOT, window='"05:30:03"')
    path = write(tmp_path / "schedules", "a.yaml", text)
    loaded = load_with(espeak, library, path)
    (problem,) = loaded.errors
    assert "longer than its window" in problem.message
    assert problem.line == line_with(text, "playlist:")


@pytest.mark.parametrize(
    ("item", "says"),
    [
        ('      - text: "   "\n', "the text is empty"),
        (f'      - text: "{"a" * 2001}"\n', "2,001 characters, more than 2,000"),
        ('      - text: "Họp dân"\n        duration_s: 30\n', "`fallback:` or `duration_s:`"),
    ],
)
def test_empty_and_overlong_texts_are_errors_on_their_line(
    tmp_path: Path, library: Path, espeak: CountedEngine, item: str, says: str,
) -> None:
    text = commune(item)
    path = write(tmp_path / "schedules", "a.yaml", text)
    loaded = load_with(espeak, library, path)
    (problem,) = loaded.errors
    assert says in problem.message
    assert problem.line == line_with(text, "- text:")
    assert problem.fix
    assert espeak.calls == 0


def test_a_missing_engine_is_a_problem_of_that_file_naming_the_package(
    tmp_path: Path, library: Path
) -> None:
    schedules = tmp_path / "schedules"
    text = commune(TEXT_SLOT)
    write(schedules, "a.yaml", text)
    loaded = load_with(EspeakEngine(which=lambda name: None), library, schedules)
    (problem,) = loaded.errors
    assert problem.line == line_with(text, "- text:")
    assert "apt-get install espeak-ng" in problem.message


def test_a_failed_synthesis_never_silences_another_commune(
    tmp_path: Path, library: Path
) -> None:
    schedules = tmp_path / "schedules"
    write(schedules, "a.yaml", commune(TEXT_SLOT, "xa-a"))
    write(schedules, "b.yaml", commune(RELAY, "xa-b"))
    loaded = load_with(FAILING, library, schedules)
    assert {p.file.name for p in loaded.errors} == {"a.yaml"}
    assert "cannot be spoken" in loaded.errors[0].message
    assert "xa-b" in loaded.by_commune()


def test_a_text_in_a_dated_playlist_is_spoken_and_its_failure_placed_on_its_line(
    tmp_path: Path, library: Path
) -> None:
    dated = ("    on:\n      - date: 2026-12-02\n        playlist:\n"
             '          - text: "Bầu cử trưởng thôn lúc 8h00 ngày 06/12/2026."\n')
    text = commune(RELAY) + dated
    loaded = load_with(FAILING, library, write(tmp_path / "schedules", "a.yaml", text))
    (problem,) = loaded.errors
    assert problem.line == line_with(text, "- text:")
    assert "slot `morning` on 2026-12-02 cannot be spoken" in problem.message


def test_without_a_speaker_text_items_validate_but_are_not_measured(
    tmp_path: Path, library: Path
) -> None:
    path = write(tmp_path / "schedules", "a.yaml", commune(TEXT_SLOT, window='"05:30:03"'))
    assert load_timetables([path], Catalogue.load(library)).ok


# --- announcements --------------------------------------------------------------------


def test_an_announcement_text_becomes_a_text_item_of_its_length(
    tmp_path: Path, library: Path, speaker: Speaker
) -> None:
    path = write(tmp_path / "schedules", "a.yaml", commune(TEXT_SLOT))
    timetables = load_timetables([path], None).by_commune().values()
    request = AnnouncementRequest.model_validate(
        {"commune": "thu-nghiem", "items": [{"text": NOTICE}]})
    length = speaker.speak(NOTICE).duration_s
    now = datetime(2026, 11, 29, 3, 0, tzinfo=UTC)
    occurrence = to_occurrence(request, list(timetables), lambda name: None, now, lead_s=5,
                               taken=lambda base: False, spoken={NOTICE: length}.get)
    (item,) = occurrence.playlist
    assert item.text == NOTICE
    assert (occurrence.end - occurrence.start).total_seconds() >= length
    with pytest.raises(AnnouncementRefused, match="was not spoken"):
        to_occurrence(request, list(timetables), lambda name: None, now, lead_s=5,
                      taken=lambda base: False)


def test_announce_text_on_the_command_line() -> None:
    from broadcastd.cli import build_parser

    args = build_parser().parse_args(
        ["announce", "--commune", "man-lan", "--text", NOTICE, "--text", "Trân trọng."])
    assert announcement_body(args)["items"] == [{"text": NOTICE}, {"text": "Trân trọng."}]


@pytest.mark.parametrize("item", [{"text": ""}, {"text": "a" * 2001},
                                  {"text": "Họp", "audio": "x"}])
def test_announcement_text_items_are_checked_for_shape(item: dict[str, str]) -> None:
    with pytest.raises(ValueError):
        AnnouncementRequest.model_validate({"commune": "man-lan", "items": [item]})


def test_the_shipped_speech_cache_holds_every_text_of_the_shipped_timetables() -> None:
    """The demo runs with pip alone: its `text:` item is spoken already, in the library."""
    repo = Path(__file__).resolve().parents[2]
    library = repo / "audio_library"
    no_engine = Speaker(library, EspeakEngine(which=lambda name: None))
    loaded = load_timetables([repo / "schedules"], Catalogue.load(library),
                             text_lengths(no_engine))
    assert loaded.ok, [str(p) for p in loaded.errors]
    texts = [item.text for t in loaded.timetables for slot in t.timetable.slots_on(
        datetime(2026, 12, 5).date()) for item in slot.playlist if item.text]
    assert texts, "man-lan's one-off slot of 2026-12-05 has a text item"
