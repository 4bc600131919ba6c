"""A delivery's shown state moves forward only; under revision 1.1 `playing` and
`suspended` may alternate while the broadcast lasts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from broadcastd.store.model import moves_forward


@pytest.mark.parametrize(
    ("current", "current_item", "new", "new_item", "expected"),
    [
        (None, None, "received", None, True),
        ("playing", 0, "received", None, False),  # a late `received` hides nothing
        ("playing", 0, "playing", 1, True),
        ("playing", 1, "playing", 0, False),
        ("playing", 1, "suspended", 1, True),  # an emergency took the speaker
        ("suspended", 1, "playing", 1, True),  # resumed where the clock says
        ("suspended", 1, "playing", 2, True),
        ("suspended", 2, "playing", 1, False),  # a stale `playing` from before
        ("suspended", 1, "finished", None, True),
        ("finished", None, "playing", 3, False),
    ],
)
def test_shown_state(
    current: str | None, current_item: int | None, new: str, new_item: int | None, expected: bool
) -> None:
    assert moves_forward(current, current_item, new, new_item) is expected


@pytest.mark.parametrize(
    ("current", "current_at", "new", "new_at", "expected"),
    [
        ("playing", 20, "suspended", 10, False),  # redelivered `suspended` from before
        ("suspended", 20, "playing", 10, False),  # a `playing` stamped before the suspension
        ("suspended", 10, "playing", 20, True),  # resumed
        ("playing", 10, "suspended", 20, True),
    ],
)
def test_alternation_follows_the_clusters_clock(
    current: str, current_at: int, new: str, new_at: int, expected: bool
) -> None:
    base = datetime(2026, 11, 28, 22, 30, tzinfo=UTC)
    at = [base + timedelta(seconds=s) for s in (current_at, new_at)]
    assert moves_forward(current, 1, new, 1, *at) is expected


def test_the_same_on_air_state_said_later_is_news() -> None:
    base = datetime(2026, 11, 28, 22, 30, tzinfo=UTC)
    earlier, later = base, base + timedelta(minutes=5)
    assert moves_forward("playing", 1, "playing", 1, earlier, later) is True  # `resumed`
    assert moves_forward("playing", 1, "playing", 1, later, earlier) is False
    assert moves_forward("playing", 1, "playing", 1) is False  # no clock: nothing new
    assert moves_forward("received", None, "received", None, earlier, later) is False
