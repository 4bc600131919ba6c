"""Routine per-cluster events are debug lines (at 10,000 clusters a line each was a
good part of a broadcast's cost); the demo shows them for the delivery loggers."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
import structlog

from broadcastd import logs
from broadcastd.cli import DEMO_DETAIL


@pytest.fixture
def journal() -> Iterator[io.StringIO]:
    out = io.StringIO()
    yield out
    logs.configure("info", "json", io.StringIO())


def events(out: io.StringIO) -> list[str]:
    return [json.loads(line)["event"] for line in out.getvalue().splitlines()]


def say_all() -> None:
    structlog.get_logger("broadcastd.delivery.dispatcher").debug("play sent")
    structlog.get_logger("broadcastd.delivery.dispatcher").info("broadcast opened")
    structlog.get_logger("broadcastd.delivery.inbound").debug("ack stored")
    structlog.get_logger("broadcastd.store.writer").debug("batch committed")


def test_at_info_a_broadcast_is_one_line_not_one_per_cluster(journal: io.StringIO) -> None:
    logs.configure("info", "json", journal)
    say_all()
    assert events(journal) == ["broadcast opened"]


def test_the_demo_shows_each_play_and_ack_and_nothing_else_at_debug(
    journal: io.StringIO,
) -> None:
    logs.configure("info", "json", journal, detailed=DEMO_DETAIL)
    say_all()
    assert events(journal) == ["play sent", "broadcast opened", "ack stored"]
