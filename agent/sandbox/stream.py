"""Reading a command's output on a thread up to a cap, and supervising a local process under
the wall-time and output limits, so neither a flood nor a hang can wear down the host."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from agent.sandbox.base import Limits

Echo = Callable[[bytes], None]
"""Receives output as it arrives (``agent sandbox run`` shows it live), up to the cap."""


class CappedReader(threading.Thread):
    """Collects a stream's output up to a cap; past the cap it keeps nothing and says so."""

    def __init__(self, stream: Iterable[bytes], cap: int, echo: Echo | None = None) -> None:
        super().__init__(daemon=True)
        self._stream = stream
        self._cap = cap
        self._echo = echo
        self._chunks: list[bytes] = []
        self._size = 0
        self.over = False

    def run(self) -> None:
        try:
            for chunk in self._stream:
                if self.over:
                    continue  # drain until the kill ends the stream: a stalled pipe blocks dockerd
                kept = chunk[: max(self._cap - self._size, 0)]
                self._chunks.append(kept)
                self._size += len(chunk)
                self.over = self._size > self._cap
                if self._echo is not None and kept:
                    self._echo(kept)
        except Exception:  # the connection closed under us when the container went away
            return

    def text(self) -> str:
        return b"".join(self._chunks).decode("utf-8", "replace")


def supervise(argv: list[str], limits: Limits, echo: Echo | None = None,
              **popen: Any) -> tuple[int, str, str | None]:
    """Run ``argv`` in its own session under the wall-time and output limits.

    Returns (exit status, output, the limit that stopped it or None); a signal death is
    reported as 128 + signal number, like a shell does.
    """
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True, **popen)
    assert proc.stdout is not None
    pipe = proc.stdout
    fd = pipe.fileno()
    reader = CappedReader(iter(lambda: os.read(fd, 65536), b""), limits.output_bytes, echo)
    reader.start()
    deadline = time.monotonic() + limits.timeout_s
    killed_by = None
    while True:
        reader.join(0.05)
        if reader.over:
            killed_by = "output"
            break
        if not reader.is_alive() or proc.poll() is not None:
            break
        if time.monotonic() >= deadline:
            killed_by = "timeout"
            break
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # the command, and whatever it left behind
    except ProcessLookupError:
        pass
    code = proc.wait()
    reader.join(5)
    if not reader.is_alive():  # else an escaped process still holds the pipe: leave the fd be
        pipe.close()
    return (128 - code if code < 0 else code), reader.text(), killed_by
