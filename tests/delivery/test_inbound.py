"""Every message ends stored, or refused and counted, and is acknowledged either way,
even when something unexpected fails on the way (faults injected on purpose)."""

from __future__ import annotations

import pytest

from broadcastd.contract import Presence
from broadcastd.delivery import inbound as inbound_module
from broadcastd.delivery.inbound import Inbound
from broadcastd.delivery.link import InboundMessage

from .conftest import Bench


def _inbound(bench: Bench, acknowledged: list[InboundMessage]) -> Inbound:
    made = Inbound(bench.store, bench.dispatcher, acknowledged.append, prefix=bench.prefix,
                   clock=bench.clock)
    made.set_topology({bench.occurrence.commune: frozenset({"loa-01"})})
    return made


def _message(bench: Bench, kind: str, payload: bytes) -> InboundMessage:
    name = f"{bench.prefix}/{bench.occurrence.commune}/loa-01/{kind}"
    return InboundMessage(name, payload, qos=1, retain=False, mid=7, session=1)


def _refused(bench: Bench) -> dict[str, int]:
    return {view.reason: view.count for view in bench.store.rejected_counts()}


def test_an_unexpected_exception_while_parsing_is_refused_as_internal(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(payload: bytes, now: object = None) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(inbound_module, "parse_ack", broken)
    acknowledged: list[InboundMessage] = []
    message = _message(bench, "ack", b'{"v": 1}')
    _inbound(bench, acknowledged).handle(message)
    bench.settle()
    assert acknowledged == [message]
    assert _refused(bench) == {"internal": 1}


def test_a_presence_the_database_refuses_is_counted_and_acknowledged(
    bench: Bench, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Past every bound the parser now checks: what a bug letting one through would do.
    monkeypatch.setattr(inbound_module, "parse_presence",
                        lambda payload: Presence(online=True, volume=2**64))
    acknowledged: list[InboundMessage] = []
    message = _message(bench, "state", b'{"v": 1, "online": true}')
    _inbound(bench, acknowledged).handle(message)
    bench.settle()
    bench.settle()  # the refusal is queued from the failed write's callback
    assert acknowledged == [message]
    assert _refused(bench) == {"store_error": 1}
    assert bench.store.presences() == {}
