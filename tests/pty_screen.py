"""A process on a real pseudo-terminal: keys in, screen text out (ANSI codes stripped)."""

from __future__ import annotations

import fcntl
import json
import os
import re
import select
import struct
import subprocess
import termios
import time
from typing import Any

ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r")
COLOUR = re.compile(r"\x1b\[(?:[0-9]+;)*(?:3[0-8]|4[0-8]|9[0-7]|10[0-7])(?:;[0-9]+)*m")


class Screen:
    """A process on a pty sized 80x40."""

    def __init__(self, args: list[str], env: dict[str, str]) -> None:
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 80, 0, 0))
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     start_new_session=True)
        os.close(slave)
        self.master, self.raw, self.seen = master, "", 0

    def _read(self, timeout: float) -> bool:
        ready, _, _ = select.select([self.master], [], [], timeout)
        if not ready:
            return False
        try:
            chunk = os.read(self.master, 65536)
        except OSError:  # child closed the pty
            return False
        self.raw += chunk.decode(errors="replace")
        return bool(chunk)

    @property
    def text(self) -> str:
        return ANSI.sub("", self.raw)

    def expect(self, needle: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while needle not in self.text[self.seen:]:
            exited = not self._read(0.5) and self.proc.poll() is not None
            if exited or time.monotonic() > deadline:
                raise AssertionError(f"{needle!r} not on screen:\n{self.text[-2000:]}")
        self.seen = self.text.index(needle, self.seen) + len(needle)

    def send(self, line: str) -> None:
        os.write(self.master, (line + "\r").encode())

    def decision(self) -> dict[str, Any]:
        self.expect("DECISION:")
        while self._read(1):
            pass
        self.proc.wait(timeout=30)
        os.close(self.master)
        return json.loads(self.text[self.seen:].strip().splitlines()[0])
