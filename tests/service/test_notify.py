"""The sd_notify protocol, against a real datagram socket bound by the test."""

from __future__ import annotations

import os
import socket
import uuid
from typing import TYPE_CHECKING

from structlog.testing import capture_logs

from broadcastd.service.notify import Notifier

if TYPE_CHECKING:
    from tests.service.conftest import NotifySocket


def test_without_notify_socket_every_call_is_a_quiet_no_op() -> None:
    notifier = Notifier({})

    assert notifier.enabled is False
    assert notifier.ready() is False
    assert notifier.watchdog() is False
    assert notifier.watchdog_interval() is None


def test_ready_status_watchdog_stopping_arrive_as_systemd_reads_them(
    notify_socket: NotifySocket,
) -> None:
    notifier = Notifier({"NOTIFY_SOCKET": notify_socket.env_value})

    assert notifier.enabled
    assert notifier.ready()
    assert notifier.status("broker connected · next broadcast man-lan/morning at 05:30")
    assert notifier.watchdog()
    assert notifier.stopping()

    assert [notify_socket.receive() for _ in range(4)] == [
        "READY=1",
        "STATUS=broker connected · next broadcast man-lan/morning at 05:30",
        "WATCHDOG=1",
        "STOPPING=1",
    ]


def test_reloading_carries_the_monotonic_time_in_the_same_datagram(
    notify_socket: NotifySocket,
) -> None:
    notifier = Notifier({"NOTIFY_SOCKET": notify_socket.env_value}, monotonic_usec=lambda: 42)

    notifier.reloading()

    assert notify_socket.receive() == "RELOADING=1\nMONOTONIC_USEC=42"


def test_a_status_of_several_lines_is_sent_as_one_line(notify_socket: NotifySocket) -> None:
    notifier = Notifier({"NOTIFY_SOCKET": notify_socket.env_value})

    notifier.status("broker down\nretrying")

    assert notify_socket.receive() == "STATUS=broker down retrying"


def test_abstract_namespace_socket() -> None:
    name = f"broadcastd-test-{uuid.uuid4().hex}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind("\0" + name)
        listener.settimeout(5)
        notifier = Notifier({"NOTIFY_SOCKET": "@" + name})

        assert notifier.ready()
        assert listener.recv(100) == b"READY=1"


def test_broken_socket_is_logged_once_and_counted_never_raised(tmp_path: os.PathLike[str]) -> None:
    notifier = Notifier({"NOTIFY_SOCKET": f"{tmp_path}/nobody-listens"})

    with capture_logs() as logs:
        first = notifier.watchdog()
        second = notifier.watchdog()

    assert (first, second) == (False, False)
    assert notifier.failures == 2
    errors = [entry for entry in logs if entry["log_level"] == "error"]
    assert len(errors) == 1
    assert errors[0]["message"] == "WATCHDOG=1"
    assert "No such file" in errors[0]["error"]


def test_recovery_after_a_failure_is_logged(tmp_path: os.PathLike[str]) -> None:
    path = f"{tmp_path}/late"
    notifier = Notifier({"NOTIFY_SOCKET": path})
    assert notifier.watchdog() is False
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as listener:
        listener.bind(path)
        with capture_logs() as logs:
            assert notifier.watchdog() is True

    assert [entry["event"] for entry in logs] == ["sd_notify works again"]


def test_unsupported_notify_socket_is_reported_and_disabled() -> None:
    with capture_logs() as logs:
        notifier = Notifier({"NOTIFY_SOCKET": "vsock:2:1234"})

    assert notifier.enabled is False
    assert logs[0]["log_level"] == "error"
    assert logs[0]["notify_socket"] == "vsock:2:1234"


def test_watchdog_interval_is_half_of_watchdog_usec_for_our_pid_only() -> None:
    ours = {"NOTIFY_SOCKET": "/run/x", "WATCHDOG_USEC": "30000000"}

    assert Notifier(ours, pid=77).watchdog_interval() == 15.0
    assert Notifier({**ours, "WATCHDOG_PID": "77"}, pid=77).watchdog_interval() == 15.0
    assert Notifier({**ours, "WATCHDOG_PID": "78"}, pid=77).watchdog_interval() is None
    assert Notifier({**ours, "WATCHDOG_USEC": "soon"}, pid=77).watchdog_interval() is None
    assert Notifier({"NOTIFY_SOCKET": "/run/x"}, pid=77).watchdog_interval() is None
