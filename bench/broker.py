"""The bench's own Mosquitto: anonymous, on a free port, with a queue per client big
enough for a 10,000-cluster morning.

Measured: with Mosquitto's default (1,000 queued messages per client) a fan-out to
1,000 clusters loses acks at the broker (3,000 acks arrive within a second); with
deploy/mosquitto/broadcastd.conf's 20,000 a fan-out to 10,000 clusters still does
(about 30,000 acks in seconds). So the bench allows 200,000.
"""

from __future__ import annotations

import socket
import subprocess
import time
from pathlib import Path

CONFIG = """listener {port} 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 200000
"""


class BenchBroker:
    def __init__(self, root: Path, port: int) -> None:
        self.port = port
        config = root / "mosquitto.conf"
        config.write_text(CONFIG.format(port=port), encoding="utf-8")
        self._process = subprocess.Popen(
            ["mosquitto", "-c", str(config)],
            stdout=(root / "mosquitto.log").open("wb"), stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        self.stop()
        raise RuntimeError("the bench's Mosquitto did not start")

    def stop(self) -> None:
        self._process.terminate()
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
