"""Schemathesis against the OpenAPI schema: whatever a client sends, the API answers
as documented and never with a 5xx.

A real uvicorn server of the app `create_app` builds (with the real audio and metrics
routers) over a real SQLite store holding broadcasts, acks and presence; calls carry an
admin token, so every operation is reached past its guard, and a second pass sends
none, so the refusals are checked against the schema too.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import positive_data_acceptance

from broadcastd.access import Role
from broadcastd.api import OccurrenceView, create_app
from broadcastd.audio.http import audio_router
from broadcastd.contract import Ack
from broadcastd.service.metrics import Metrics, metrics_router
from broadcastd.store import open_store
from tests.api.fakes import (
    EVENING_BEFORE,
    KHAI_MORNING,
    MORNING,
    MORNING_ID,
    MORNING_START,
    Clock,
    FakeDaemon,
    FakeDesk,
    bearer,
    make_token,
    serve,
)

EXAMPLES = 60
"""Per operation and pass; about 20 s in all on the 2-core CI machine."""


@pytest.fixture(scope="module")
def api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[schemathesis.BaseSchema, str]]:
    """The loaded schema of a live server, and an admin token for it."""
    root: Path = tmp_path_factory.mktemp("schema")
    store = open_store(f"sqlite:///{root / 'broadcastd.db'}")
    store.start()
    for record, clusters in (
        (EVENING_BEFORE, ["coc-1"]),
        (MORNING, ["coc-1", "coc-2"]),
        (KHAI_MORNING, ["khai-1"]),
    ):
        store.record_broadcast(record, clusters)
    at = MORNING_START + timedelta(seconds=5)
    store.record_ack("man-lan", "coc-1", Ack(MORNING_ID, "playing", at, 0, ""), at)
    store.record_presence("man-lan", "coc-1", True, "2.1.0", 80, at)
    store.count_rejected("malformed", "broadcast/man-lan/coc-1/ack", b"{oops", at)
    assert store.flush()
    token = make_token(store, "schemathesis", Role.ADMIN)
    clock = Clock(MORNING_START + timedelta(minutes=10))
    occurrence = OccurrenceView(
        MORNING_ID, "man-lan", "morning", "Bản tin sáng", MORNING.start, MORNING.end,
        ["coc-1", "coc-2"], 0, 80, ["a.mp3"],
    )
    daemon = FakeDaemon(cancellable={MORNING_ID}, store=store, clock=clock, plan=[occurrence])
    (root / "audio").mkdir()
    app = create_app(
        store, daemon, audio_router(root / "audio"), now=clock,
        readers=[metrics_router(Metrics())],
        announcer=lambda: FakeDesk(clock, live={MORNING_ID: ["coc-1", "coc-2"]}),
    )
    try:
        with serve(app) as base_url:
            schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
            schema.config.update(base_url=base_url)
            yield schema, token
    finally:
        store.stop()


def exercise(schema: schemathesis.BaseSchema, headers: dict[str, str], examples: int) -> list[str]:
    """Every operation with `examples` generated calls; what failed, by operation."""
    failures: list[str] = []
    operations = [result.ok() for result in schema.get_all_operations()]
    # healthz, status, broadcasts x3, schedule, metrics, audio, reports x2, ...
    assert len(operations) >= 9
    assert {"/reports/deliveries.csv", "/reports/deliveries.xlsx"} <= {
        operation.path for operation in operations
    }

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=examples,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
            phases=[Phase.explicit, Phase.generate],
        )
        def call(case: schemathesis.Case) -> None:
            # A well-formed announcement is still refused (422, documented) for a start
            # already past or a name the commune lacks, and a report for `to` before
            # `from` or an unknown commune: things no schema can say.
            refusable = case.path == "/announcements" or case.path.startswith("/reports/")
            excluded = [positive_data_acceptance] if refusable else []
            case.call_and_validate(headers=headers, excluded_checks=excluded)

        try:
            call()
        except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - report every operation
            failures.append(f"{operation.label}: {exc}")
    return failures


def test_answers_match_the_schema_with_a_token(
    api: tuple[schemathesis.BaseSchema, str],
) -> None:
    schema, token = api
    assert exercise(schema, bearer(token), EXAMPLES) == []


def test_refusals_match_the_schema_too(api: tuple[schemathesis.BaseSchema, str]) -> None:
    schema, _ = api
    assert exercise(schema, {}, EXAMPLES // 4) == []
