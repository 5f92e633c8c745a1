"""Running a check as a plain subprocess: no isolation, only a timeout and an output cap.

Used only where the user asked for it in so many words (``--sandbox none``) and by tests of
the graph's own logic; untrusted code belongs in the Docker or bubblewrap runner.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from agent.sandbox.base import CommandResult, Limits


class LocalRunner:
    name = "local"

    def run(self, workdir: Path, command: list[str], limits: Limits) -> CommandResult:
        start = time.monotonic()
        proc = subprocess.Popen(
            command, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL, start_new_session=True,
        )
        killed_by = None
        try:
            out, _ = proc.communicate(timeout=limits.timeout_s)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, _ = proc.communicate()
            killed_by = "timeout"
        text = out[: limits.output_bytes].decode("utf-8", "replace")
        if len(out) > limits.output_bytes:
            killed_by = killed_by or "output"
        return CommandResult(proc.returncode, text, time.monotonic() - start, killed_by)
