"""The Announce page's form model: text fields into the announce package's request, the
planner's answer into the confirmation's words, and refusals in the operator's words."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from broadcastd.announce import AnnouncementRefused, to_occurrence
from broadcastd.announce.model import TargetSpec
from broadcastd.api.views import CommuneTopology
from broadcastd.audio.catalogue import AudioEntry
from broadcastd.console.announce_form import (
    AnnounceForm,
    FormRefused,
    confirmation,
    form_page,
    refusal_problem,
    spoken_length,
    to_request,
)
from broadcastd.console.words import words
from broadcastd.planning.occurrences import Occurrence
from broadcastd.timetable.model import Timetable

HANOI = ZoneInfo("Asia/Ho_Chi_Minh")
NOW = datetime(2026, 11, 29, 7, 0, tzinfo=UTC)  # 14:00 in the commune
VI, EN = words("vi"), words("en")
AREAS = {"khu-1": ["loa-01", "loa-02"], "khu-7": ["loa-13", "loa-14"], "khu-8": ["loa-15"]}
COMMUNE = CommuneTopology(
    commune="man-lan", name="Mạn Lạn", timezone="Asia/Ho_Chi_Minh", areas=AREAS,
    area_names={"khu-1": "Khu 1", "khu-7": "Khu 7", "khu-8": "Khu 8"},
)
TIMETABLE = Timetable.model_validate({
    "commune": {"id": "man-lan", "name": "Mạn Lạn", "timezone": "Asia/Ho_Chi_Minh"},
    "areas": [{"id": a, "name": COMMUNE.area_names[a], "clusters": c} for a, c in AREAS.items()],
})
FLOOD = AudioEntry(
    name="canh-bao-lu", file="a" * 64 + ".mp3", title="Cảnh báo lũ", duration_s=192.4,
    sha256="a" * 64, loudness_lufs=-16.0, true_peak_dbtp=-1.5, source="lu.wav",
    imported_at=NOW,
)
LIBRARY = {FLOOD.name: FLOOD}


def filled(**fields: str | tuple[str, ...]) -> AnnounceForm:
    base: dict[str, str | tuple[str, ...]] = {
        "commune": "man-lan", "areas": ("khu-7",), "audio": "canh-bao-lu",
    }
    return AnnounceForm.from_pairs(
        (name, value)
        for name, values in {**base, **fields}.items()
        for value in ((values,) if isinstance(values, str) else values)
    )


def planned(form: AnnounceForm) -> Occurrence:
    """What the daemon's desk makes of the form: the real pure planner."""
    return to_occurrence(to_request(form, HANOI, VI), [TIMETABLE],
                         {n: e.duration_s for n, e in LIBRARY.items()}.get, NOW,
                         lead_s=5, taken=lambda _: False)


def test_the_posted_fields_read_back_and_travel_through_the_confirmation() -> None:
    posted = [("csrf", "token"), ("commune", "man-lan"), ("areas", "khu-7"), ("areas", "khu-1"),
              ("clusters", "loa-15"), ("audio", "canh-bao-lu"), ("priority", "emergency"),
              ("title", "  Cảnh báo lũ  "), ("bogus", "x")]
    form = AnnounceForm.from_pairs(posted)
    assert form.areas == ("khu-7", "khu-1") and form.clusters == ("loa-15",)
    assert form.title == "Cảnh báo lũ" and form.start == "now" and form.end == "auto"
    assert AnnounceForm.from_pairs(form.pairs()) == form  # hidden inputs lose nothing


def test_a_ticked_area_now_with_a_library_item_is_the_apis_request() -> None:
    request = to_request(filled(priority="emergency", title="Lũ", reason="nước lên"), HANOI, VI)
    assert request.target == TargetSpec(areas=["khu-7"])
    assert request.priority == 100 and request.start == "now"
    assert [item.audio for item in request.items] == ["canh-bao-lu"]
    assert (request.end, request.duration_s, request.title, request.reason) == (
        None, None, "Lũ", "nước lên")
    assert to_request(filled(whole="1", areas=()), HANOI, VI).target == "all"


def test_times_minutes_and_a_stream_become_the_requests_fields() -> None:
    today = to_request(filled(start="today", start_time="14:30", end="minutes", minutes="2,5"),
                       HANOI, VI)
    assert (today.start, today.duration_s) == ("14:30", 150.0)
    picked = to_request(filled(start="at", start_at="2026-11-30T06:15", end="until",
                               end_time="06:45"), HANOI, VI)
    assert picked.start == "2026-11-30T06:15:00+07:00" and picked.end == "06:45"
    stream = to_request(filled(source="stream", stream="https://relay.example/huyen",
                               fallback="canh-bao-lu", audio="canh-bao-lu"), HANOI, VI)
    assert stream.items[0].stream == "https://relay.example/huyen"
    assert (stream.items[0].audio, stream.items[0].fallback) == (None, "canh-bao-lu")


def test_what_the_request_model_refuses_is_named_by_field_in_vietnamese() -> None:
    with pytest.raises(FormRefused) as refused:
        to_request(filled(areas=(), audio="", title="x" * 201), HANOI, VI)
    by_field = {p.field: p for p in refused.value.problems}
    assert set(by_field) == {"target", "audio", "title"}
    assert by_field["target"].message == "Chưa chọn ai sẽ nghe."
    assert "“Toàn xã”" in by_field["target"].fix
    with pytest.raises(FormRefused) as refused:
        to_request(filled(source="stream", stream="relay.example"), HANOI, VI)
    assert [p.field for p in refused.value.problems] == ["stream"]
    assert "http://" in refused.value.problems[0].fix
    with pytest.raises(FormRefused) as refused:
        to_request(filled(end="minutes", minutes="mười"), HANOI, EN)
    assert refused.value.problems[0].message == "“mười” is not a usable number of minutes."


def test_the_planners_refusals_in_the_operators_words_with_the_fix() -> None:
    with pytest.raises(AnnouncementRefused) as past:
        planned(filled(start="today", start_time="13:00"))
    problem = refusal_problem(past.value, VI)
    assert problem.field == "start"
    assert problem.message == "Giờ bắt đầu 13:00:00 ngày 29/11/2026 đã qua: ở xã bây giờ là 14:00:00."
    assert problem.fix == "Chọn “Ngay bây giờ”, hoặc một giờ muộn hơn."
    with pytest.raises(AnnouncementRefused) as backwards:
        planned(filled(start="today", start_time="15:00", end="until", end_time="14:30"))
    assert refusal_problem(backwards.value, VI).field == "end"
    assert "14:30:00 không sau giờ bắt đầu 15:00:00" in refusal_problem(backwards.value, VI).message
    with pytest.raises(AnnouncementRefused) as unknown:
        planned(filled(audio="khong-co"))
    assert refusal_problem(unknown.value, VI).message == "Thư viện không có tệp khong-co."
    with pytest.raises(AnnouncementRefused) as garbled:
        planned(filled(start="at", start_at="ngày mai"))
    assert refusal_problem(garbled.value, EN).message == "The start “ngày mai” cannot be read."
    unknown_kind = AnnouncementRefused("something new", "do this")
    assert refusal_problem(unknown_kind, VI).message == "something new"


def test_the_confirmation_says_who_hears_what_and_when_in_commune_time() -> None:
    form = filled(areas=("khu-7",), clusters=("loa-02",), priority="emergency",
                  reason="nước lên nhanh")
    page = confirmation(form, planned(form), COMMUNE, LIBRARY, NOW.astimezone(HANOI), VI)
    assert page.hearers == ["Khu 1 (chỉ loa-02)", "Khu 7 (loa-13, loa-14)"]
    assert page.count == "3 cụm loa"
    assert page.audio == ["Cảnh báo lũ (canh-bao-lu) — 3 phút 13 giây"]
    assert page.start == "Ngay khi bấm Xác nhận (khoảng 14:00:05)"
    assert page.end == "14:03:18 hôm nay" and page.length == "3 phút 13 giây"
    assert (page.priority, page.priority_key) == ("khẩn cấp", "emergency")
    assert page.title == "Thông báo" and page.reason == "nước lên nhanh"
    assert AnnounceForm.from_pairs(page.fields) == form
    later = filled(whole="1", start="at", start_at="2026-11-30T06:15", end="minutes", minutes="90")
    page = confirmation(later, planned(later), COMMUNE, LIBRARY, NOW.astimezone(HANOI), EN)
    assert page.hearers == ["Whole commune Mạn Lạn"] and page.count == "5 clusters"
    assert (page.start, page.end, page.length) == (
        "06:15:00 30/11/2026", "07:45:00 30/11/2026", "1 h 30 min")


def test_spoken_lengths() -> None:
    assert spoken_length(42, VI) == "42 giây"
    assert spoken_length(3725, VI) == "1 giờ 2 phút"
    assert spoken_length(0, EN) == "0 s"


def test_the_form_comes_back_filled_as_sent_with_its_problems_marked() -> None:
    other = CommuneTopology(commune="khai-xuan", name="Khải Xuân",
                            timezone="Asia/Ho_Chi_Minh", areas={"ban-khai": ["khai-1"]})
    form = filled(areas=("khu-1",), clusters=("loa-14",), start="today", start_time="13:00")
    with pytest.raises(AnnouncementRefused) as past:
        planned(form)
    page = form_page(form, [COMMUNE, other], [FLOOD], VI, [refusal_problem(past.value, VI)])
    assert [(c.value, c.chosen) for c in page.communes] == [("man-lan", True), ("khai-xuan", False)]
    assert [(a.area, a.chosen) for a in page.areas] == [
        ("khu-1", True), ("khu-7", False), ("khu-8", False)]
    assert [(c.value, c.chosen) for c in page.areas[1].clusters] == [
        ("loa-13", False), ("loa-14", True)]
    assert page.areas[2].clusters == [] and page.areas[2].members == "loa-15"
    assert page.on["start.today"] and not page.on["start.now"] and page.on["end.auto"]
    assert page.audio[0].label == "Cảnh báo lũ — 3 phút 13 giây" and page.audio[0].chosen
    assert [p.value for p in page.priorities if p.chosen] == ["routine"]
    assert page.invalid == {"start"}
    fresh = form_page(AnnounceForm(commune="khai-xuan"), [COMMUNE, other], [FLOOD], VI)
    assert fresh.commune == "Khải Xuân" and [a.area for a in fresh.areas] == ["ban-khai"]
    unknown = form_page(AnnounceForm(commune="nowhere"), [COMMUNE, other], [FLOOD], VI)
    assert unknown.form.commune == "man-lan"


def test_a_written_notice_becomes_a_text_item_and_the_confirmation_repeats_it() -> None:
    notice = "Mời bà con khu 7 họp lúc 19h30 tại nhà văn hóa."
    request = to_request(filled(source="text", text=notice), HANOI, VI)
    assert [(item.text, item.audio) for item in request.items] == [(notice, None)]
    occurrence = to_occurrence(request, [TIMETABLE], {}.get, NOW, lead_s=5,
                               taken=lambda _: False, spoken={notice: 7.5}.get)
    said = confirmation(filled(source="text", text=notice), occurrence, COMMUNE, LIBRARY, NOW, VI)
    assert said.audio == [f"Đọc văn bản: “{notice}”"]
    assert said.length == "8 giây"


def test_an_empty_notice_is_named_on_its_box_in_vietnamese() -> None:
    with pytest.raises(FormRefused) as refused:
        to_request(filled(source="text", text=""), HANOI, VI)
    (problem,) = refused.value.problems
    assert problem.field == "text"
    assert problem.message == "Chưa có nội dung để đọc, hoặc nội dung quá dài."


def test_the_text_limit_the_form_states_is_the_speech_limit() -> None:
    from broadcastd.speech import MAX_TEXT_CHARS

    assert VI["announce.text_limit"] == f"{MAX_TEXT_CHARS:,}".replace(",", ".")
    assert EN["announce.text_limit"] == f"{MAX_TEXT_CHARS:,}"
