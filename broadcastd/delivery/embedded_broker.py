"""An in-process MQTT broker (amqtt) for the zero set-up demo and small single-commune use.

amqtt speaks MQTT 3.1.1 only and keeps offline queues in memory without bound, so
production runs Mosquitto (see deploy/). The broker runs on its own asyncio loop in a
thread, so the rest of the daemon stays synchronous.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import structlog
from amqtt.broker import Broker

from broadcastd.settings import is_loopback

log = structlog.get_logger(__name__)


class EmbeddedBrokerError(RuntimeError):
    pass


class EmbeddedBroker:
    def __init__(self, host: str = "127.0.0.1", port: int = 1883) -> None:
        # No logins, no ACL, no TLS: anyone who reaches it could command every speaker.
        if not is_loopback(host):
            raise EmbeddedBrokerError(
                f"the embedded broker listens on loopback only, not on {host}; "
                "clusters on the LAN need Mosquitto (see deploy/)"
            )
        self.host = host
        self.port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._broker: Broker | None = None
        self._thread: threading.Thread | None = None
        self._started = threading.Event()
        self._error: BaseException | None = None

    def _config(self) -> dict[str, Any]:
        return {
            "listeners": {"default": {"type": "tcp", "bind": f"{self.host}:{self.port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True},
            },
        }

    def start(self, timeout: float = 10.0) -> None:
        """Start listening; raises when the port is taken or the broker fails."""
        # amqtt logs every packet at INFO; keep it to warnings.
        logging.getLogger("amqtt").setLevel(logging.WARNING)
        self._thread = threading.Thread(target=self._run, name="embedded-broker", daemon=True)
        self._thread.start()
        if not self._started.wait(timeout):
            raise EmbeddedBrokerError(f"embedded broker did not start within {timeout} s")
        if self._error is not None:
            raise EmbeddedBrokerError(
                f"embedded broker could not listen on {self.host}:{self.port}: {self._error}"
            ) from self._error

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            self._broker = Broker(self._config(), loop=loop)
            loop.run_until_complete(self._broker.start())
        except Exception as exc:  # noqa: BLE001 - reported to start()'s caller
            self._error = exc
            self._started.set()
            loop.close()
            return
        self._started.set()
        loop.run_forever()
        loop.close()

    def stop(self, timeout: float = 5.0) -> None:
        loop, broker = self._loop, self._broker
        if loop is None or broker is None or self._error is not None:
            return
        future = asyncio.run_coroutine_threadsafe(broker.shutdown(), loop)
        try:
            future.result(timeout)
        except Exception as exc:  # noqa: BLE001 - best effort on the way out
            log.warning("embedded broker did not shut down cleanly", error=repr(exc))
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout)
