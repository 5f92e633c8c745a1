"""Running a check as a plain subprocess: no isolation, only a timeout and an output cap.

Used only where the user asked for it in so many words (``--backend none
--i-accept-unsandboxed``) and by tests of the graph's own logic; untrusted code belongs in the
Docker or bubblewrap runner.

The command runs under a small reaper process that the kernel signals when the agent dies
(``PR_SET_PDEATHSIG``); it then kills the command's whole process group, and it kills what
the command left running before it exits itself, so no test outlives a killed run.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

from agent.sandbox.base import LIMIT_EXIT, CommandResult, Limits
from agent.sandbox.stream import Echo, supervise

# argv: PARENT_PID COMMAND...; exits with the command's status (128 + signal for a signal death)
REAPER = """
import ctypes, os, signal, subprocess, sys
def stop(*_):
    os.killpg(0, signal.SIGKILL)
def clear():
    me, group = os.getpid(), os.getpgid(0)
    while True:  # until no other live process of the group is left (one may fork meanwhile)
        found = False
        for name in os.listdir("/proc"):
            try:
                stat = open(f"/proc/{name}/stat").read() if name.isdigit() and int(name) != me else ""
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2:].split()
            if fields and fields[0] != "Z" and int(fields[2]) == group:
                found = True
                try:
                    os.kill(int(name), signal.SIGKILL)
                except OSError:
                    pass
        if not found:
            return
signal.signal(signal.SIGTERM, stop)
ctypes.CDLL(None).prctl(1, int(signal.SIGTERM))  # PR_SET_PDEATHSIG: told when the agent dies
if os.getppid() != int(sys.argv[1]):
    stop()
try:
    code = subprocess.call(sys.argv[2:])
except OSError as err:
    print(f"{sys.argv[2]}: {err.strerror}", file=sys.stderr)
    code = 127
clear()  # what the command left running dies before we go, not after the agent looks
sys.exit(128 - code if code < 0 else code)
"""


class LocalRunner:
    name = "local"

    def __init__(self, echo: Echo | None = None) -> None:
        self._echo = echo

    def __enter__(self) -> LocalRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Nothing is kept between runs."""

    def run(self, workdir: Path, command: list[str], limits: Limits) -> CommandResult:
        start = time.monotonic()
        reaped = [sys.executable, "-I", "-S", "-c", REAPER, str(os.getpid()), *command]
        exit_code, output, killed_by = supervise(reaped, limits, self._echo, cwd=workdir)
        if killed_by:
            exit_code = LIMIT_EXIT[killed_by]
        return CommandResult(exit_code, output, time.monotonic() - start, killed_by)
