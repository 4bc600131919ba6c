"""The sd_notify protocol: tell systemd we are ready, what we are doing, and that we live.

Written here rather than taken from PyPI: `sdnotify` swallows every error, `sd-notify`
has had one release (2019) and no abstract-socket support, `systemd-python` ships only
as a source package that needs a compiler and libsystemd's headers on the commune
server, and `cysystemd` is a 2.4 MB compiled wheel (glibc 2.34 or newer) whose notify
sends one `KEY=value` per call, so `RELOADING=1` with `MONOTONIC_USEC=` cannot go in one
datagram. The protocol itself is one datagram per message on a Unix socket.

Without `NOTIFY_SOCKET` (run by hand, in tests) every call is a no-op. With a socket
that is set but broken, failures are logged (once per change of state, with the
error) and counted, never raised: a dead notify socket must not stop the broadcasts.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Callable, Mapping

import structlog

log = structlog.get_logger(__name__)


def socket_address(value: str) -> str | None:
    """The address to send to, from `$NOTIFY_SOCKET`; None when unset or unsupported.

    `@name` is Linux's abstract namespace, spelt with a leading NUL byte on the wire.
    """
    if value.startswith("/"):
        return value
    if value.startswith("@") and len(value) > 1:
        return "\0" + value[1:]
    return None


class Notifier:
    """Sends sd_notify messages to the service manager, if there is one.

    Thread-safe: the watchdog thread and the main thread share one instance.
    Each method returns True when the message was handed to the socket.
    """

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        *,
        pid: int | None = None,
        monotonic_usec: Callable[[], int] | None = None,
    ) -> None:
        env = os.environ if environ is None else environ
        self._env = dict(env)
        self._pid = os.getpid() if pid is None else pid
        self._monotonic_usec = monotonic_usec or (lambda: time.monotonic_ns() // 1000)
        self._lock = threading.Lock()
        self._failing = False
        self.failures = 0
        raw = env.get("NOTIFY_SOCKET", "")
        self._address = socket_address(raw)
        if raw and self._address is None:
            log.error("notify socket not supported, systemd will not hear from us",
                      notify_socket=raw)
        self._socket: socket.socket | None = None
        if self._address is not None:
            self._socket = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC)

    @property
    def enabled(self) -> bool:
        return self._socket is not None

    def ready(self) -> bool:
        """Start-up is done: systemd marks the unit active and starts what waits on it."""
        return self.send("READY=1")

    def status(self, text: str) -> bool:
        """The one line `systemctl status` shows under `Status:`."""
        return self.send("STATUS=" + " ".join(text.splitlines()))

    def stopping(self) -> bool:
        return self.send("STOPPING=1")

    def reloading(self) -> bool:
        """Reload begun. systemd 253+ wants the monotonic time with it (Type=notify-reload);
        older versions ignore the extra field. Follow with `ready()` when the reload is done."""
        return self.send("RELOADING=1", f"MONOTONIC_USEC={self._monotonic_usec()}")

    def watchdog(self) -> bool:
        """Proof of life. Call only after checking that the workers are alive."""
        return self.send("WATCHDOG=1")

    def watchdog_interval(self) -> float | None:
        """Seconds between pings (half of `$WATCHDOG_USEC`), or None when no watchdog is
        set for this process (unset, invalid, or meant for another pid)."""
        raw = self._env.get("WATCHDOG_USEC")
        if not raw:
            return None
        owner = self._env.get("WATCHDOG_PID")
        if owner and owner.strip() != str(self._pid):
            return None
        try:
            usec = int(raw)
        except ValueError:
            log.error("WATCHDOG_USEC is not a number, watchdog pings disabled", value=raw)
            return None
        if usec <= 0:
            return None
        return usec / 2 / 1_000_000

    def send(self, *assignments: str) -> bool:
        """One datagram of `KEY=value` lines. Errors are logged and counted, not raised."""
        if self._socket is None or self._address is None:
            return False
        message = "\n".join(assignments).encode()
        with self._lock:
            try:
                self._socket.sendto(message, self._address)
            except OSError as exc:
                self.failures += 1
                if not self._failing:
                    log.error("sd_notify failed; systemd may restart us for want of news",
                              message=assignments[0], error=str(exc),
                              notify_socket=self._env.get("NOTIFY_SOCKET"))
                self._failing = True
                return False
            if self._failing:
                log.info("sd_notify works again", failures=self.failures)
                self._failing = False
            return True

    def close(self) -> None:
        with self._lock:
            if self._socket is not None:
                self._socket.close()
                self._socket = None
