"""Sign-in limits (pure, on a chosen clock): per name and per address, in a window."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

from broadcastd.console.limits import SignInLimiter, keys_of

NOW = datetime(2026, 11, 29, 1, 0, tzinfo=UTC)


def test_parallel_attempts_cannot_all_pass_the_check() -> None:
    limiter = SignInLimiter(max_failures=5)
    keys = keys_of("van-hoa", "10.0.0.9")
    with ThreadPoolExecutor(max_workers=16) as pool:
        waits = list(pool.map(lambda _: limiter.attempt(keys, NOW), range(40)))
    assert waits.count(None) == 5
    assert {w for w in waits if w is not None} == {timedelta(minutes=15)}


def test_a_right_password_clears_the_name_but_not_earlier_failures_of_the_address() -> None:
    limiter = SignInLimiter(max_failures=5)
    address = "10.0.0.9"
    for minute in range(4):
        assert limiter.attempt(keys_of("van-hoa", address), NOW + timedelta(minutes=minute)) is None
    at = NOW + timedelta(minutes=5)
    assert limiter.attempt(keys_of("van-hoa", address), at) is None
    limiter.succeeded(keys_of("van-hoa", address), at)
    # The address has its four failures; one more, under another name, reaches five.
    assert limiter.attempt(keys_of("huyen", address), at) is None
    wait = limiter.attempt(keys_of("huyen", address), at)
    assert wait == timedelta(minutes=10)  # the first failure, at NOW, leaves the window
    assert limiter.attempt(keys_of("van-hoa", "10.0.0.10"), at) is None  # the name is clear


def test_failures_leave_the_window() -> None:
    limiter = SignInLimiter(max_failures=5)
    keys = keys_of("van-hoa", "10.0.0.9")
    for _ in range(5):
        assert limiter.attempt(keys, NOW) is None
    assert limiter.attempt(keys, NOW + timedelta(minutes=14, seconds=59)) is not None
    assert limiter.attempt(keys, NOW + timedelta(minutes=15)) is None
