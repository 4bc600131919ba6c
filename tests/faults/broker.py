"""A Mosquitto of the test's own: a free port, a persistence file in the test's
directory, so the test can stop and start it (a broker restart, an outage) without
touching the shared broker other tests use.

Configured like deploy/mosquitto/broadcastd.conf where it matters here (persistence,
a queue per client big enough for an ack stream while the daemon is down) and left at
Mosquitto's defaults elsewhere: 20 messages in flight per client, which is the window
poison messages used to fill (issue 8, defect 1).
"""

from __future__ import annotations

import os
import pwd
import signal
import socket
import subprocess
import time
from pathlib import Path

# `user`: started as root (CI containers), Mosquitto would switch to the `mosquitto`
# user, which cannot write its persistence file into the test's private directory.
CONFIG = """listener {port} 127.0.0.1
allow_anonymous true
user {user}
persistence true
persistence_location {store}/
persistence_file mosquitto.db
max_queued_messages 200000
log_dest file {store}/mosquitto.log
log_type error
log_type warning
log_type notice
"""


class Mosquitto:
    """Started by `start()`; `stop()` ends it with SIGTERM, which writes its persistence
    file (sessions, queued and in-flight QoS 1 messages), as systemd stops it."""

    def __init__(self, root: Path, port: int) -> None:
        self.port = port
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        self.config = root / "mosquitto.conf"
        user = pwd.getpwuid(os.getuid()).pw_name
        self.config.write_text(CONFIG.format(port=port, store=root, user=user), encoding="utf-8")
        self._process: subprocess.Popen[bytes] | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def start(self, timeout: float = 10.0) -> None:
        self.starts += 1
        self._process = subprocess.Popen(
            ["mosquitto", "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=(self.root / f"stderr-{self.starts}.log").open("wb"),
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                raise AssertionError(f"mosquitto exited {self._process.returncode}: {self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"mosquitto not listening within {timeout} s: {self.log()}")

    def stop(self, timeout: float = 10.0) -> None:
        process, self._process = self._process, None
        if process is None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()

    def log(self) -> str:
        path = self.root / "mosquitto.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""


class RabbitMqtt:
    """The machine's RabbitMQ MQTT listener (127.0.0.1:1885, .ci/run), shared: `restart()`
    stops and starts the `rabbitmq_mqtt` application, which closes every MQTT connection
    and brings the listener back with the sessions' durable queues and the retained store
    kept, as a node restart would (without the 15 s of restarting the whole server)."""

    def __init__(self, port: int) -> None:
        self.port = port

    @property
    def url(self) -> str:
        return f"mqtt://127.0.0.1:{self.port}"

    def restart(self, timeout: float = 30.0) -> None:
        subprocess.run(
            ["rabbitmqctl", "-q", "eval",
             "ok = application:stop(rabbitmq_mqtt), ok = application:start(rabbitmq_mqtt)."],
            check=True, capture_output=True, timeout=timeout,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=0.5):
                    return
            except OSError:
                time.sleep(0.1)
        raise AssertionError(f"RabbitMQ MQTT not listening on {self.port} within {timeout} s")

    def log(self) -> str:
        return ""
