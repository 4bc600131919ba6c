"""`GET /metrics` from a real uvicorn server, read back with Prometheus' own parser."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from broadcastd.service.metrics import Metrics, metrics_router
from tests.conftest import free_port


@pytest.fixture
def served() -> Iterator[tuple[Metrics, str]]:
    metrics = Metrics()
    app = FastAPI()
    app.include_router(metrics_router(metrics))
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_config=None, lifespan="off")
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.01)
    yield metrics, f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(10)


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(sample name, sorted labels): value} for every sample in the exposition."""
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def test_metrics_parse_and_count_what_happened(served: tuple[Metrics, str]) -> None:
    metrics, base_url = served
    online = {"man-lan": 21, "khai-xuan": 8}
    queue = [1, 2, 3]
    metrics.track_clusters_online(lambda: online)
    metrics.track_writer_queue(lambda: len(queue))

    metrics.broadcast_planned("man-lan", 2)
    metrics.broadcast_planned("khai-xuan")
    for _ in range(22):
        metrics.command_sent("man-lan", "play", "published")
    metrics.command_sent("man-lan", "play", "queued")
    metrics.command_sent("khai-xuan", "stop", "failed")
    for state in ["received"] * 22 + ["playing"] * 20:
        metrics.ack_stored(state)
    metrics.resent("man-lan")
    metrics.message_rejected("unknown_cluster")
    metrics.message_rejected("invalid_json")
    metrics.message_rejected("invalid_json")
    metrics.observe_dispatch_lag(0.012)
    metrics.observe_dispatch_lag(3.0)
    metrics.observe_ack_commit(0.004)
    metrics.reload_succeeded(at=1_764_370_000.0)

    response = httpx.get(f"{base_url}/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    got = samples(response.text)
    assert got[("broadcastd_broadcasts_planned_total", (("commune", "man-lan"),))] == 2
    assert got[("broadcastd_broadcasts_planned_total", (("commune", "khai-xuan"),))] == 1
    sent = "broadcastd_commands_sent_total"
    assert got[(sent, (("commune", "man-lan"), ("kind", "play"), ("outcome", "published")))] == 22
    assert got[(sent, (("commune", "man-lan"), ("kind", "play"), ("outcome", "queued")))] == 1
    assert got[(sent, (("commune", "khai-xuan"), ("kind", "stop"), ("outcome", "failed")))] == 1
    assert got[("broadcastd_acks_stored_total", (("state", "received"),))] == 22
    assert got[("broadcastd_acks_stored_total", (("state", "playing"),))] == 20
    assert got[("broadcastd_acks_stored_total", (("state", "failed"),))] == 0
    assert got[("broadcastd_resends_total", (("commune", "man-lan"),))] == 1
    assert got[("broadcastd_messages_rejected_total", (("reason", "invalid_json"),))] == 2
    assert got[("broadcastd_messages_rejected_total", (("reason", "unknown_cluster"),))] == 1
    assert got[("broadcastd_dispatch_lag_seconds_count", ())] == 2
    assert got[("broadcastd_dispatch_lag_seconds_bucket", (("le", "0.025"),))] == 1
    assert got[("broadcastd_dispatch_lag_seconds_sum", ())] == pytest.approx(3.012)
    assert got[("broadcastd_ack_commit_latency_seconds_count", ())] == 1
    assert got[("broadcastd_last_reload_success_timestamp_seconds", ())] == 1_764_370_000.0
    assert got[("broadcastd_clusters_online", (("commune", "man-lan"),))] == 21
    assert got[("broadcastd_clusters_online", (("commune", "khai-xuan"),))] == 8
    assert got[("broadcastd_db_writer_queue_length", ())] == 3
    assert got[("process_open_fds", ())] > 0

    online["man-lan"] = 22
    queue.clear()
    again = samples(httpx.get(f"{base_url}/metrics").text)
    assert again[("broadcastd_clusters_online", (("commune", "man-lan"),))] == 22
    assert again[("broadcastd_db_writer_queue_length", ())] == 0


def test_openmetrics_when_the_scraper_asks(served: tuple[Metrics, str]) -> None:
    metrics, base_url = served
    metrics.resent("man-lan")

    response = httpx.get(
        f"{base_url}/metrics", headers={"accept": "application/openmetrics-text; version=1.0.0"}
    )

    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.rstrip().endswith("# EOF")


def test_each_metrics_object_counts_on_its_own() -> None:
    first, second = Metrics(process=False), Metrics(process=False)
    first.resent("man-lan")

    body, _ = second.render()

    assert 'broadcastd_resends_total{commune="man-lan"}' not in body.decode()
    assert 'broadcastd_resends_total{commune="man-lan"} 1.0' in first.render()[0].decode()


def test_an_unknown_outcome_is_refused() -> None:
    with pytest.raises(ValueError, match="delivered"):
        Metrics(process=False).command_sent("man-lan", "play", "delivered")  # type: ignore[arg-type]
