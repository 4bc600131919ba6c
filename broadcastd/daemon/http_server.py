"""uvicorn in a thread of its own, so the main thread owns signals and shutdown."""

from __future__ import annotations

import threading

import uvicorn
from fastapi import FastAPI


class HttpServer:
    def __init__(self, app: FastAPI, host: str, port: int) -> None:
        # log_config=None keeps our structlog set-up; no reload, one worker: there is
        # one scheduler per process.
        config = uvicorn.Config(
            app, host=host, port=port, log_config=None, lifespan="off", access_log=False
        )
        self._server = uvicorn.Server(config)
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
