"""A slot's playlist as the clusters get it: files on this server, a stream's fallback
as a file item inside the stream item (contract 1.1)."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta
from pathlib import Path

from broadcastd.audio.catalogue import Catalogue
from broadcastd.contract.messages import PlayCommand, parse_command
from broadcastd.delivery.playlist import PlaylistResolver
from broadcastd.timetable.model import Item
from tests.timetable.helpers import write_library

BASE_URL = "http://10.0.0.2:8080"


def resolver(tmp_path: Path) -> PlaylistResolver:
    library = write_library(tmp_path / "lib", {"nhac-hieu": 12.5, "nhac-nen": 180.0})
    catalogue = Catalogue.load(library)
    return PlaylistResolver(lambda: catalogue, BASE_URL)


def test_a_streams_fallback_goes_into_the_play_as_a_file_item(tmp_path: Path) -> None:
    playlist = [
        Item(audio="nhac-hieu"),
        Item(stream="http://relay.example/live", duration_s=600, fallback="nhac-nen"),
        Item(stream="http://relay.example/other", duration_s=60),
    ]
    items = resolver(tmp_path).items(playlist, "man-lan/morning/2026-11-29", 1800)

    sha = hashlib.sha256(b"nhac-nen").hexdigest()
    assert [i.kind for i in items] == ["file", "stream", "stream"]
    fallback = items[1].fallback
    assert fallback is not None
    assert (fallback.kind, fallback.url, fallback.sha256, fallback.duration_s) == (
        "file", f"{BASE_URL}/audio/{sha}.mp3", sha, 180.0,
    )
    assert fallback.title == "Bản tin nhac-nen"
    assert items[2].fallback is None

    # What a cluster parses from the wire.
    start = datetime(2026, 11, 28, 22, 30, tzinfo=UTC)
    wire = PlayCommand("man-lan/morning/2026-11-29", start, start + timedelta(minutes=30), 0,
                       80, items, start).to_payload()
    parsed = parse_command(wire)
    assert isinstance(parsed, PlayCommand)
    assert parsed.items[1].fallback == fallback


def test_a_fallback_gone_from_the_library_leaves_the_stream_without_one(tmp_path: Path) -> None:
    playlist = [Item(stream="http://relay.example/live", duration_s=600, fallback="da-xoa")]
    (item,) = resolver(tmp_path).items(playlist, "man-lan/morning/2026-11-29", 1800)
    assert item.kind == "stream" and item.fallback is None


def test_a_relay_that_fills_the_rest_gets_what_the_items_before_it_leave(tmp_path: Path) -> None:
    """`duration_s: rest` (issue 13): a 30-minute window, 12.5 s of bulletin, the relay
    plays the other 1,787.5 s; a longer bulletin shortens it, nothing overruns."""
    for duration in ("rest", None):
        playlist = [Item(audio="nhac-hieu"),
                    Item(stream="http://relay.example/live", duration_s=duration)]
        items = resolver(tmp_path).items(playlist, "man-lan/morning/2026-11-29", 1800)
        assert [i.duration_s for i in items] == [12.5, 1787.5]
        assert sum(i.duration_s for i in items) == 1800
