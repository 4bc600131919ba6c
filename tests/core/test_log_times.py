"""Log times read on the communes' clock, with the offset written out (issue 13): a
journal line about the 17:00 slot says 17:00, not 10:00."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
import structlog

from broadcastd import logs
from broadcastd.settings import LoggingSettings


@pytest.fixture
def journal() -> Iterator[io.StringIO]:
    out = io.StringIO()
    yield out
    logs.configure("info", "json", io.StringIO())  # leave no handler on this buffer


def stamps(out: io.StringIO) -> list[datetime]:
    return [datetime.fromisoformat(json.loads(line)["timestamp"]) for line in out.getvalue().splitlines()]


def test_every_line_carries_the_communes_offset_whoever_wrote_it(journal: io.StringIO) -> None:
    logs.configure("info", "json", journal)
    structlog.get_logger("broadcastd.test").info("play sent")
    logging.getLogger("uvicorn.error").warning("from the standard library")
    lines = stamps(journal)
    assert len(lines) == 2
    assert {stamp.utcoffset() for stamp in lines} == {timedelta(hours=7)}


def test_another_zone_from_the_config(journal: io.StringIO) -> None:
    logs.configure("info", "json", journal, zone=LoggingSettings(timezone="UTC").timezone)
    structlog.get_logger("broadcastd.test").info("play sent")
    assert stamps(journal)[0].utcoffset() == timedelta(0)


def test_an_unknown_zone_is_refused_with_an_example() -> None:
    with pytest.raises(ValueError, match="Asia/Ho_Chi_Minh"):
        LoggingSettings(timezone="Asia/Hanoi")
