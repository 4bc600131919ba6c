"""`GET /healthz`: for the service manager and monitoring; 503 says why."""

from __future__ import annotations

from fastapi import APIRouter, Response, status

from broadcastd.api.deps import LangDep, StoreDep, ViewDep
from broadcastd.api.models import Check, Health
from broadcastd.i18n import say

router = APIRouter(tags=["health"])


@router.get(
    "/healthz",
    summary="Is the daemon healthy?",
    responses={503: {"model": Health, "description": "Unhealthy; `reasons` says why."}},
)
def healthz(store: StoreDep, view: ViewDep, response: Response, lang: LangDep) -> Health:
    """Healthy when the scheduler runs, the broker is connected and the database takes
    a write. Timetable problems are reported but do not make it unhealthy: the daemon
    keeps running on the timetables it last loaded. `problems` are said in Vietnamese
    unless `?lang=en` or Accept-Language asks for English."""
    report = view.health()
    database_problem = store.check_writable()
    checks = {
        "scheduler": Check(
            ok=report.scheduler_running,
            detail="running" if report.scheduler_running else "scheduler is not running",
        ),
        "broker": Check(
            ok=report.broker_connected,
            detail="connected" if report.broker_connected else "not connected to the MQTT broker",
        ),
        "database": Check(ok=database_problem is None, detail=database_problem or "writable"),
        "timetables": Check(
            ok=report.timetables_ok,
            detail="loaded" if report.timetables_ok else "timetables have errors",
        ),
    }
    reasons = [
        check.detail for name, check in checks.items() if name != "timetables" and not check.ok
    ]
    if reasons:
        response.status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    return Health(
        status="unhealthy" if reasons else "ok",
        checks=checks,
        reasons=reasons,
        problems=[say(problem, lang) for problem in report.problems],
        store_queue=store.queue_length,
    )
