"""Keep the daemon's resident memory near what Python holds (glibc's allocator only).

With a dozen threads (paho, the store writer, uvicorn, HTTP workers, the scheduler)
glibc gives each its own malloc arena, and freed memory stays resident in each: at
10,000 clusters the daemon's RSS was several times the Python heap tracemalloc saw.
Two arenas and handing free pages back after a burst keep RSS close to the heap.
Nothing happens on other C libraries (musl, macOS): the calls are not there.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import threading

M_ARENA_MAX = -8
"""mallopt's parameter number for the arena count (malloc.h)."""
ARENAS = 2
TRIM_EVERY_S = 30.0


def _libc() -> ctypes.CDLL | None:
    name = ctypes.util.find_library("c")
    if name is None:
        return None
    try:
        libc = ctypes.CDLL(name)
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "malloc_trim") else None


def limit_arenas() -> bool:
    """Two malloc arenas for every thread to come; call before threads start. True when
    the C library took it."""
    libc = _libc()
    return bool(libc is not None and libc.mallopt(M_ARENA_MAX, ARENAS))


def trim() -> None:
    """Return free heap pages to the system (after a fan-out or a big answer)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)


def trim_periodically(stop: threading.Event, every_s: float = TRIM_EVERY_S) -> threading.Thread:
    """A thread that trims every `every_s` until `stop` is set (cheap: a few ms)."""
    libc = _libc()

    def run() -> None:
        while libc is not None and not stop.wait(every_s):
            libc.malloc_trim(0)

    thread = threading.Thread(target=run, name="memory-trim", daemon=True)
    thread.start()
    return thread
