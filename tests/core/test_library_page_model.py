"""The audio library page's words and the streamed form reader, without a server."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
import pytest
from starlette.types import Message

from broadcastd.audio.catalogue import AudioEntry
from broadcastd.audio.errors import NameTaken, NotAudio, SilentAudio
from broadcastd.console import library_model as model
from broadcastd.console.form_stream import FormProblem, FormStream, leading_fields
from broadcastd.console.words import words

VI, EN = words("vi"), words("en")
SHA = "a" * 64


def entry(name: str, title: str, lufs: float, seconds: float = 754.4) -> AudioEntry:
    return AudioEntry(name, f"{SHA}.mp3", title, seconds, SHA, lufs, -2.0, "x.wav",
                      datetime(2026, 11, 28, 18, 30, tzinfo=UTC))


def test_items_in_name_order_with_length_loudness_size_added_date_uses_and_player() -> None:
    entries = {"thoi-tiet": entry("thoi-tiet", "Thời tiết", -16.04),
               "ban-tin": entry("ban-tin", "Bản tin", float("nan"), 59.6)}
    uses = {"ban-tin": ["/srv/schedules/man-lan.yaml:42 slot morning",
                        "/srv/schedules/man-lan.yaml:90 one-off slot tiem-chung on 2026-12-05",
                        "/srv/schedules/man-lan.yaml:75 slot evening on 2026-12-02"]}
    items = model.library_items(entries, {f"{SHA}.mp3": 3_300_000}, uses,
                                Path("/srv/schedules"), ZoneInfo("Asia/Ho_Chi_Minh"), VI, "vi",
                                highlight="thoi-tiet")
    assert [i.name for i in items] == ["ban-tin", "thoi-tiet"]
    first, second = items
    assert (first.duration, first.loudness, first.size) == ("1:00", "—", "3,1 MB")
    assert first.uses == ["man-lan.yaml:42, khung giờ morning",
                          "man-lan.yaml:90, khung giờ một lần tiem-chung ngày 2026-12-05",
                          "man-lan.yaml:75, khung giờ evening, riêng ngày 2026-12-02"]
    assert first.added == "2026-11-29"  # 01:30 in Hà Nội
    assert (second.duration, second.loudness, second.uses) == ("12:34", "-16,0 LUFS", [])
    assert second.src == f"/audio/{SHA}.mp3" and second.highlighted and not first.highlighted


def test_a_missing_file_is_said_and_gets_no_player_and_english_has_points() -> None:
    entries = {"x": entry("x", "X", -15.96)}
    (gone,) = model.library_items(entries, {}, {}, Path("s"), UTC, EN, "en")
    assert gone.size == "File missing" and gone.src == ""
    (kept,) = model.library_items(entries, {f"{SHA}.mp3": 20_000}, {}, Path("s"), UTC, EN, "en")
    assert (kept.loudness, kept.size) == ("-16.0 LUFS", "20 KB")


def test_the_proposed_name_is_the_title_without_accents() -> None:
    assert model.slug("Bản tin T2") == "ban-tin-t2"
    assert model.slug("Đào tạo nghề — đợt 2!") == "dao-tao-nghe-dot-2"


def test_refusals_are_told_in_the_officials_words_with_the_fix() -> None:
    taken = model.upload_problem(NameTaken("…"), VI, "ban-tin", "200")
    assert taken.startswith("Tên «ban-tin» đã có trong thư viện. Hãy chọn tên khác")
    assert "200 MB" in model.upload_problem(model.UploadTooBig("…"), VI, "", "200")
    assert "không phải tệp âm thanh" in model.upload_problem(NotAudio("…"), VI, "", "200")
    assert "only silence" in model.upload_problem(SilentAudio("…"), EN, "", "200")


def body_of(fields: dict[str, str], file: bytes) -> tuple[str, bytes]:
    request = httpx.Request("POST", "http://commune/library", data=fields,
                            files={"file": ("Bản tin.wav", file, "audio/wav")})
    return request.headers["content-type"], request.read()


def test_the_form_reader_hands_on_the_file_in_pieces_and_keeps_the_fields() -> None:
    content_type, body = body_of({"csrf": "t0k", "title": "Bản tin"}, bytes(range(256)) * 400)
    form = FormStream(content_type)
    received = b"".join(piece for start in range(0, len(body), 1000)
                        for piece in form.feed(body[start:start + 1000]))
    form.close()
    assert form.fields == {"csrf": "t0k", "title": "Bản tin"}
    assert form.filename == "Bản tin.wav" and received == bytes(range(256)) * 400
    cut = FormStream(content_type)
    cut.feed(body[:-100])
    with pytest.raises(FormProblem, match="ended early"):
        cut.close()


def test_the_csrf_middleware_reads_only_the_fields_ahead_of_the_file() -> None:
    content_type, body = body_of({"csrf": "t0k"}, b"\0" * 1_000_000)
    chunks = [body[start:start + 16_384] for start in range(0, len(body), 16_384)]
    sent: list[Message] = [{"type": "http.request", "body": chunk,
                            "more_body": index < len(chunks) - 1}
                           for index, chunk in enumerate(chunks)]
    taken: list[int] = []

    async def receive() -> Message:
        taken.append(1)
        return sent[len(taken) - 1]

    async def run() -> tuple[dict[str, str], bytes]:
        fields, replay = await leading_fields(content_type, receive)
        read_ahead = len(taken)
        assert read_ahead == 1  # one chunk held, not the megabyte
        again = b""
        while True:
            message = await replay()
            again += message["body"]
            if not message["more_body"]:
                return fields, again

    fields, again = asyncio.run(run())
    assert fields == {"csrf": "t0k"} and again == body  # the app behind gets it all
