"""Logging through structlog: JSON lines for the journal, key=value on a terminal.

The standard library's loggers (uvicorn, APScheduler, paho, amqtt, SQLAlchemy) are
routed through the same processors, so every line has one shape whoever wrote it.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any, Literal
from zoneinfo import ZoneInfo

import structlog

LOG_ZONE = "Asia/Ho_Chi_Minh"
"""The zone of log times unless `logging.timezone` says otherwise: the timetables'
default zone, so a journal line and the timetable it reports on read the same clock."""


class LocalTimeStamper:
    """`timestamp` as ISO 8601 in `zone` with its offset written out
    (`2026-11-29T17:00:00.123+07:00`): the commune's clock, and still unambiguous."""

    def __init__(self, zone: str = LOG_ZONE) -> None:
        self.zone = ZoneInfo(zone)

    def __call__(self, _logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
        event["timestamp"] = datetime.now(self.zone).isoformat(timespec="milliseconds")
        return event


def _shared(zone: str = LOG_ZONE) -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        LocalTimeStamper(zone),
        structlog.processors.StackInfoRenderer(),
    ]


# Messages a flood repeats per connection or per attempt: logged once per interval.
FLOODING = (
    "socket.accept() out of system resource",  # asyncio, at the file limit
    "Exceeded concurrency limit.",  # uvicorn, a request beyond limit_concurrency
    "HTTP connection refused: too many open connections",
    "HTTP connection closed: no request head within the time allowed",
)
FLOOD_INTERVAL_S = 60.0
_DETAILED: set[str] = set()
"""Loggers `configure` put at debug (undone by the next `configure` without them)."""


class RateLimit(logging.Filter):
    """Lets each of `messages` through once per `interval_s`; the next one let through
    says how many were held back. A flood of idle connections must not become a flood
    of tracebacks filling the disk."""

    def __init__(
        self,
        messages: Iterable[str] = FLOODING,
        interval_s: float = FLOOD_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__()
        self._messages = tuple(messages)
        self._interval_s = interval_s
        self._clock = clock
        self._lock = threading.Lock()
        self._next: dict[str, float] = {}
        self._held: dict[str, int] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        key = self._key(record)
        if key is None:
            return True
        now = self._clock()
        with self._lock:
            if now < self._next.get(key, float("-inf")):
                self._held[key] = self._held.get(key, 0) + 1
                return False
            self._next[key] = now + self._interval_s
            held = self._held.pop(key, 0)
        if held and isinstance(record.msg, dict):
            record.msg = {**record.msg, "not_logged_in_last_interval": held}
        elif held:
            record.msg = (
                f"{record.getMessage()} ({held} more like it in the last "
                f"{self._interval_s:g} s not logged)"
            )
            record.args = None
        return True

    def _key(self, record: logging.LogRecord) -> str | None:
        message = record.msg if isinstance(record.msg, str) else ""
        if isinstance(record.msg, dict):  # structlog's event dict, before rendering
            message = str(record.msg.get("event", ""))
        for known in self._messages:
            if message.startswith(known):
                return known
        return None


def configure(
    level: str = "info",
    fmt: Literal["auto", "json", "console"] = "auto",
    stream: Any = None,
    zone: str = LOG_ZONE,
    detailed: Iterable[str] = (),
) -> None:
    """Set up structlog and the stdlib root logger once, at start.

    Routine per-cluster events (`play sent`, `ack stored`, ...) are debug lines: at
    10,000 clusters one line each was a good part of the cost of a broadcast. A debug
    line below the level is dropped before it is rendered (`filter_by_level`).
    `detailed` names loggers shown at debug anyway (the demo shows its deliveries)."""
    out = stream or sys.stderr
    shared = _shared(zone)
    use_json = fmt == "json" or (fmt == "auto" and not out.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if use_json
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(out)
    handler.setFormatter(formatter)
    handler.addFilter(RateLimit())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in _DETAILED - set(detailed):  # a configuration before this one's
        logging.getLogger(name).setLevel(logging.NOTSET)
    for name in detailed:
        logging.getLogger(name).setLevel(logging.DEBUG)
        _DETAILED.add(name)
    for noisy in ("apscheduler", "amqtt", "transitions", "sqlalchemy.engine", "httpx"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True
