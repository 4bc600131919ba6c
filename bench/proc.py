"""Helper processes of the benchmark, driven by JSON lines over stdin/stdout.

A 10,000-cluster fleet holds 10,000 sockets, and paho's `loop_start` uses select(),
which fails above file descriptor 1024; so every load generator and measuring probe
runs in its own process. Each worker answers every command with exactly one line.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TextIO

REPO = Path(__file__).resolve().parent.parent

Handler = Callable[[dict[str, Any]], dict[str, Any]]


class Worker:
    """One helper process running `python -m bench.<module>`."""

    def __init__(self, module: str, *args: str, log: Path | None = None) -> None:
        self.module = module
        stderr: Any = log.open("wb") if log is not None else subprocess.DEVNULL
        self._process = subprocess.Popen(
            [sys.executable, "-m", f"bench.{module}", *args],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            text=True,
            bufsize=1,
        )
        self._lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    @property
    def pid(self) -> int:
        return self._process.pid

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            self._lines.put(line)
        self._lines.put(None)

    def reply(self, timeout: float) -> dict[str, Any]:
        """The next line the worker writes; raises if it dies or stays silent."""
        try:
            line = self._lines.get(timeout=timeout)
        except queue.Empty:
            raise TimeoutError(f"bench.{self.module}: no answer within {timeout} s") from None
        if line is None:
            raise RuntimeError(f"bench.{self.module} exited ({self._process.wait()})")
        answer: dict[str, Any] = json.loads(line)
        if "error" in answer:
            raise RuntimeError(f"bench.{self.module}: {answer['error']}")
        return answer

    def call(self, command: str, timeout: float = 60.0, **fields: Any) -> dict[str, Any]:
        assert self._process.stdin is not None
        self._process.stdin.write(json.dumps({"cmd": command, **fields}) + "\n")
        self._process.stdin.flush()
        return self.reply(timeout)

    def close(self, timeout: float = 20.0) -> None:
        """Ask it to stop; kill it if it does not."""
        if self._process.poll() is None:
            try:
                self.call("stop", timeout=timeout)
            except (TimeoutError, RuntimeError, OSError):
                pass
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()


def serve(handlers: dict[str, Handler], ready: dict[str, Any] | None = None) -> None:
    """The worker side: answer commands from stdin until `stop` (or stdin closes)."""
    out = sys.stdout
    _say(out, ready or {"ready": True})
    for command in _commands(sys.stdin):
        name = str(command.get("cmd"))
        try:
            answer = handlers[name](command) if name in handlers else {"ok": True}
        except Exception as exc:  # noqa: BLE001 - reported to the parent, which raises
            answer = {"error": f"{name}: {type(exc).__name__}: {exc}"}
        _say(out, answer)
        if name == "stop":
            return


def _commands(stream: TextIO) -> Iterator[dict[str, Any]]:
    for line in stream:
        if line.strip():
            yield json.loads(line)


def _say(out: TextIO, answer: dict[str, Any]) -> None:
    out.write(json.dumps(answer) + "\n")
    out.flush()
