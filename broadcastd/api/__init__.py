"""The HTTP API for district staff and monitoring (FastAPI, served by uvicorn in-process)."""

from broadcastd.api.app import create_app
from broadcastd.api.deps import DaemonView
from broadcastd.api.views import CommuneTopology, HealthReport, OccurrenceView

__all__ = ["CommuneTopology", "DaemonView", "HealthReport", "OccurrenceView", "create_app"]
