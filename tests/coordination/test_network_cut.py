"""A daemon cut off from the database stops sending before another takes its communes.

Two coordinators on the real PostgreSQL, one of them through a link the test cuts
(queries hang, as on a dead network): the cut one's fence empties its communes
before the other daemon holds any of them."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy.engine import make_url

from broadcastd.coordination import Coordinator, Identity

from .cut import CuttableLink
from .province import eventually

COMMUNES = [f"xa-{n}" for n in range(1, 7)]
LEASE_S = 2.0


class Owner:
    """A coordinator and the moments its owned set changed (monotonic clock)."""

    def __init__(self, url: str, name: str) -> None:
        self.changes: list[tuple[float, frozenset[str]]] = []
        self._lock = threading.Lock()
        self.coordinator = Coordinator(
            url, Identity(name, f"bd-{name}", f"http://{name}"), lease_s=LEASE_S,
            communes=lambda: COMMUNES, busy=lambda commune: False, on_owned=self._owned,
        )

    def _owned(self, owned: frozenset[str]) -> None:
        with self._lock:
            self.changes.append((time.monotonic(), owned))

    def owned(self) -> frozenset[str]:
        with self._lock:
            return self.changes[-1][1] if self.changes else frozenset()

    def first_time(self, predicate: Callable[[frozenset[str]], bool]) -> float | None:
        with self._lock:
            return next((at for at, owned in self.changes if predicate(owned)), None)


@pytest.fixture
def link(database_url: str) -> Iterator[CuttableLink]:
    parsed = make_url(database_url)
    made = CuttableLink((parsed.host or "127.0.0.1", parsed.port or 5432))
    yield made
    made.close()


def test_a_daemon_cut_off_stops_before_the_other_takes_over(
    database_url: str, link: CuttableLink
) -> None:
    through_link = make_url(database_url).set(port=link.port).render_as_string(
        hide_password=False)
    cut_off, other = Owner(through_link, "cut-off"), Owner(database_url, "other")
    cut_off.coordinator.start()
    other.coordinator.start()
    try:
        assert eventually(lambda: len(cut_off.owned()) == 3 and len(other.owned()) == 3, 20)
        held = cut_off.owned()
        link.cut()
        assert eventually(lambda: other.owned() == frozenset(COMMUNES), LEASE_S * 5)
        fenced = cut_off.first_time(lambda owned: not owned)
        taken = other.first_time(lambda owned: bool(owned & held))
        assert fenced is not None and taken is not None
        assert fenced < taken, "the cut-off daemon still owned communes when they moved"
        print(f"\nfenced {taken - fenced:.2f} s before the takeover (lease {LEASE_S} s)")
    finally:
        link.mend()
        other.coordinator.stop()
        cut_off.coordinator.stop()
