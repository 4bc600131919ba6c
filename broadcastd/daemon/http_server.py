"""uvicorn in a thread of its own, so the main thread owns signals and shutdown.

The HTTP side faces the LAN, so it is bounded: at most `max_connections` open at once
(kept well under the process's file limit, so `accept()` never runs out of
descriptors), a request head must arrive within `header_timeout_s` of the connection
(or of the previous response), and idle kept-alive connections close after
`keep_alive_s`. uvicorn has no header timeout of its own (`timeout_keep_alive` is
reset by every byte received), hence `GuardedH11`.
"""

from __future__ import annotations

import asyncio
import resource
import threading
import time
from dataclasses import dataclass
from typing import Any

import structlog
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

log = structlog.get_logger(__name__)

# Descriptors kept for everything but HTTP connections: the database, the broker,
# ffmpeg, the notify socket, log files.
RESERVED_FDS = 64
# The request head (request line and headers) may not exceed this; h11's default is 16 KiB.
MAX_HEAD_BYTES = 16 * 1024


@dataclass(frozen=True)
class HttpLimits:
    max_connections: int = 1000
    header_timeout_s: float = 10.0
    keep_alive_s: int = 5


def connection_cap(wanted: int, file_limit: int | None = None) -> tuple[int, int]:
    """(connections allowed at once, listen backlog).

    Connections: `wanted`, but at most half of what the file limit leaves after
    `RESERVED_FDS` (a connection serving audio holds the file open too). asyncio accepts
    up to `backlog` connections in one go before any can be refused, so the backlog is a
    quarter of it: the cap and one burst together stay under the limit.
    """
    if file_limit is None:
        file_limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if file_limit == resource.RLIM_INFINITY:
        return wanted, 2048
    budget = max(0, file_limit - RESERVED_FDS)
    return max(8, min(wanted, budget // 2)), min(2048, max(8, budget // 4))


class GuardedH11(H11Protocol):
    """uvicorn's h11 protocol with a cap on open connections and a request-head deadline.

    A connection beyond the cap is closed as soon as it is accepted (its descriptor
    comes straight back); one that has not sent a whole request head `header_timeout_s`
    after it opened, or after its last response, is closed. Subclassed per server by
    `guarded_protocol` with the two limits as class attributes.
    """

    cap: int = 1000
    header_timeout_s: float = 10.0

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_deadline: asyncio.TimerHandle | None = None
        self._waiting_after: object = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        if len(self.connections) > self.cap:
            log.warning(
                "HTTP connection refused: too many open connections",
                open=len(self.connections) - 1,
                max_connections=self.cap,
            )
            transport.abort()
            return
        self._arm()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self._head_deadline is not None and self.cycle is not self._waiting_after:
            self._disarm()  # a request head arrived whole

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
            self._arm()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def _arm(self) -> None:
        self._disarm()
        self._waiting_after = self.cycle
        self._head_deadline = self.loop.call_later(self.header_timeout_s, self._head_too_slow)

    def _disarm(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_too_slow(self) -> None:
        self._head_deadline = None
        if not self.transport.is_closing():
            log.warning(
                "HTTP connection closed: no request head within the time allowed",
                header_timeout_s=self.header_timeout_s,
            )
            self.transport.abort()


def guarded_protocol(cap: int, header_timeout_s: float) -> type[GuardedH11]:
    return type(
        "GuardedH11Server", (GuardedH11,), {"cap": cap, "header_timeout_s": header_timeout_s}
    )


class _BeatingServer(uvicorn.Server):
    """uvicorn's server, noting each turn of its main loop (every 0.1 s) for the watchdog."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self.last_beat = time.monotonic()

    async def on_tick(self, counter: int) -> bool:
        self.last_beat = time.monotonic()
        return await super().on_tick(counter)


class HttpServer:
    def __init__(
        self,
        app: FastAPI,
        host: str,
        port: int,
        *,
        limits: HttpLimits | None = None,
        ssl_certfile: str | None = None,
        ssl_keyfile: str | None = None,
    ) -> None:
        limits = limits or HttpLimits()
        self.app = app
        self.cap, backlog = connection_cap(limits.max_connections)
        # log_config=None keeps our structlog set-up; no reload, one worker: there is
        # one scheduler per process.
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,
            lifespan="off",
            access_log=False,
            http=guarded_protocol(self.cap, limits.header_timeout_s),
            limit_concurrency=self.cap,
            timeout_keep_alive=limits.keep_alive_s,
            h11_max_incomplete_event_size=MAX_HEAD_BYTES,
            backlog=backlog,
            ssl_certfile=ssl_certfile,
            ssl_keyfile=ssl_keyfile,
        )
        # Loaded here, on the caller's thread, so that a bad certificate or key is an
        # error at start rather than a server thread that silently never serves.
        config.load()
        self._server = _BeatingServer(config)
        self._thread = threading.Thread(target=self._server.run, name="http", daemon=True)

    def start(self, timeout: float = 10.0) -> None:
        """Serve; raises when the server did not come up (port taken, bad address)."""
        self._thread.start()
        self._thread.join(0.0)
        waited = 0.0
        while not self._server.started and self._thread.is_alive() and waited < timeout:
            self._thread.join(0.05)
            waited += 0.05
        if not self._server.started:
            raise RuntimeError(
                f"HTTP server did not start on {self._server.config.host}:"
                f"{self._server.config.port} (is the port taken?)"
            )

    def stop(self, timeout: float = 5.0) -> None:
        self._server.should_exit = True
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def last_beat(self) -> float:
        """`time.monotonic()` of the server loop's last turn; frozen once its thread ended."""
        return self._server.last_beat
