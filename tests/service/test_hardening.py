"""The unit's MemoryDenyWriteExecute=yes must not break the daemon's stack.

systemd enforces it with a seccomp filter; the kernel's PR_SET_MDWE (Linux 6.3+) is
the same rule (no memory that is both writable and executable, inherited by children
such as ffmpeg). The child process below turns it on, proves it is on, then does what
the daemon does: imports its libraries, makes a ctypes callback (libffi closures were
the classic W^X casualty) and encodes audio with ffmpeg.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent(
    """
    import ctypes, mmap, subprocess, sys
    libc = ctypes.CDLL(None, use_errno=True)
    PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN = 65, 1
    if libc.prctl(PR_SET_MDWE, PR_MDWE_REFUSE_EXEC_GAIN, 0, 0, 0) != 0:
        print("unsupported"); sys.exit(3)
    try:
        mmap.mmap(-1, 4096, prot=mmap.PROT_READ | mmap.PROT_WRITE | mmap.PROT_EXEC)
    except PermissionError:
        pass
    else:
        print("W^X not enforced"); sys.exit(4)

    import fastapi, uvicorn, pydantic, sqlalchemy, paho.mqtt.client, apscheduler
    import structlog, yaml, prometheus_client, pydub, imageio_ffmpeg, sqlite3
    import broadcastd.service, broadcastd.contract
    sqlite3.connect(":memory:").execute("select 1")
    compare = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_void_p, ctypes.c_void_p)(lambda a, b: 0)
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi",
         "-i", "sine=frequency=440:duration=1", "-ac", "1", "-c:a", "libmp3lame",
         "-f", "mp3", "-"],
        check=True, stdout=subprocess.DEVNULL,
    )
    # Children inherit the rule across exec: so ffmpeg above ran under it too.
    child = subprocess.run(
        [sys.executable, "-c", "import mmap; mmap.mmap(-1, 4096, prot=7)"],
        capture_output=True, text=True,
    )
    assert "PermissionError" in child.stderr, child.stderr
    print("ok")
    """
)


def test_daemon_stack_and_ffmpeg_run_without_writable_executable_memory() -> None:
    result = subprocess.run(
        [sys.executable, "-c", CHILD], capture_output=True, text=True, check=False, timeout=60
    )
    if result.returncode == 3:
        pytest.skip("this kernel has no PR_SET_MDWE (Linux 6.3+)")

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "ok"
