"""Running a check as a plain subprocess: no isolation, only a timeout and an output cap.

Used only where the user asked for it in so many words (``--backend none
--i-accept-unsandboxed``) and by tests of the graph's own logic; untrusted code belongs in the
Docker or bubblewrap runner.
"""

from __future__ import annotations

import time
from pathlib import Path

from agent.sandbox.base import LIMIT_EXIT, CommandResult, Limits
from agent.sandbox.stream import Echo, supervise


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
        exit_code, output, killed_by = supervise(command, limits, self._echo, cwd=workdir)
        if killed_by:
            exit_code = LIMIT_EXIT[killed_by]
        return CommandResult(exit_code, output, time.monotonic() - start, killed_by)
