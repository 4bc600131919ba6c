"""`broadcastd announce / stop / cancel` in-process: the request built from the options,
what a refusal tells the person, and the live summary line."""

from __future__ import annotations

from broadcastd.announce.cli import announcement_body, explain, summary
from broadcastd.cli import build_parser


def parse(*argv: str) -> object:
    return build_parser().parse_args(list(argv))


def test_the_options_make_the_announcement() -> None:
    args = parse("announce", "--commune", "man-lan", "--areas", "khu-7,khu-8", "--audio",
                 "canh-bao-lu", "--stream", "http://relay/live", "--fallback", "nhac-nen",
                 "--at", "14:30", "--duration", "600", "--priority", "50", "--reason", "lũ")
    assert announcement_body(args) == {  # type: ignore[arg-type]
        "commune": "man-lan",
        "target": {"areas": ["khu-7", "khu-8"], "clusters": []},
        "priority": 50,
        "items": [{"audio": "canh-bao-lu"},
                  {"stream": "http://relay/live", "fallback": "nhac-nen"}],
        "start": "14:30",
        "volume": 100,
        "title": "",
        "duration_s": 600.0,
        "reason": "lũ",
    }
    now = announcement_body(parse("announce", "--commune", "man-lan", "--audio", "a",  # type: ignore[arg-type]
                                  "--now"))
    assert (now["start"], now["target"], now["priority"]) == ("now", "all", "emergency")


def test_refusals_say_what_to_do() -> None:
    assert "--token-file" in explain(401, "", sent_token=False)
    assert "token list" in explain(401, "", sent_token=True)
    assert "role operator" in explain(403, "token 'v' has role viewer", sent_token=True)
    assert explain(422, "no area khu-99. Fix: ...", sent_token=True).startswith(
        "refused, nothing was sent: no area khu-99"
    )


def test_the_summary_counts_received_playing_and_missing() -> None:
    broadcast = {"clusters": [{"state": "playing"}, {"state": "received"},
                              {"state": "pending"}, {"state": "stopped"}]}
    assert summary(broadcast) == (
        "received 3 · playing 1 · missing 1 · stopped 1 (of 4)"
    )


def test_refusals_and_the_summary_in_vietnamese() -> None:
    from broadcastd.i18n import say

    assert say(explain(401, "", sent_token=False), "vi").startswith(
        "lệnh này cần mã truy cập của operator: đưa mã bằng --token-file FILE"
    )
    detail = "xã man-lan không có khu khu-99. Cách sửa: dùng các khu của xã: khu-1"
    assert say(explain(422, detail, sent_token=True), "vi") == (
        f"bị từ chối, chưa gửi gì: {detail}"
    )
    broadcast = {"clusters": [{"state": "playing"}, {"state": "received"},
                              {"state": "pending"}, {"state": "stopped"}]}
    assert summary(broadcast, "vi") == (
        "đã nhận 3 · đang phát 1 · chưa nhận 1 · đã dừng 1 (trên tổng 4)"
    )
