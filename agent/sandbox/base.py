"""What every check runner returns, and the interface runners implement."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

# Exit statuses of `agent sandbox run` (and CommandResult.exit_code) when the sandbox, not the
# command, decided the outcome. Anything else is the command's own exit status.
EXIT_TIMEOUT = 124  # wall-time limit hit; the command's processes were killed
EXIT_SANDBOX_ERROR = 125  # the sandbox could not run the command (no engine, no image, ...)
EXIT_MEMORY = 137  # memory limit hit (OOM kill, or allocation refused under RLIMIT_AS)
EXIT_OUTPUT = 141  # output cap hit; reading stopped and the command was killed
EXIT_PIDS = 142  # process limit hit (fork bomb); the command was killed
LIMIT_EXIT = {"timeout": EXIT_TIMEOUT, "memory": EXIT_MEMORY, "output": EXIT_OUTPUT,
              "pids": EXIT_PIDS}

# The whole environment a sandboxed command sees: nothing of the host's is passed through.
SANDBOX_ENV = {
    "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
    "HOME": "/tmp", "TMPDIR": "/tmp", "LANG": "C.UTF-8", "USER": "nobody",
    "CARGO_NET_OFFLINE": "true", "CARGO_TERM_COLOR": "never", "PYTHONUNBUFFERED": "1",
}


@dataclass(frozen=True)
class Limits:
    """Bounds on a check; policy supplies them."""

    timeout_s: float = 300.0
    memory_mb: int = 2048
    cpus: float = 2.0
    pids: int = 256
    output_bytes: int = 1_000_000


@dataclass(frozen=True)
class CommandResult:
    """One command's outcome. ``killed_by`` names the limit that stopped it, if any; then
    ``exit_code`` is that limit's status from ``LIMIT_EXIT``."""

    exit_code: int
    output: str
    duration_s: float
    killed_by: str | None = None  # "timeout" | "memory" | "output" | "pids" | None


@dataclass(frozen=True)
class TestReport:
    """A test run: overall verdict, counts, and per-test outcomes where the runner gave them."""

    __test__ = False  # not a pytest test class, despite the name

    command: list[str]
    ok: bool
    passed: int = 0
    failed: int = 0
    errors: int = 0
    skipped: int = 0
    flaky: list[str] = field(default_factory=list)
    failed_tests: list[str] = field(default_factory=list)
    outcomes: dict[str, str] = field(default_factory=dict)  # test id -> final outcome (flaky: passed)
    output_tail: str = ""
    duration_s: float = 0.0
    reason: str = ""  # why not ok, in one line
    killed_by: str | None = None  # the limit that stopped the run, as in CommandResult

    def summary(self) -> str:
        if self.ok:
            counts = f"{self.passed} passed" if self.passed else "passed"
            return counts + (f", {len(self.flaky)} flaky" if self.flaky else "")
        return self.reason or f"{self.failed} failed, {self.errors} errors"


class Runner(Protocol):
    """Runs a command over a directory (a copy of the repository) within limits.

    Runners are context managers: leaving the ``with`` block frees what they keep warm.
    """

    name: str

    def run(self, workdir: Path, command: list[str], limits: Limits) -> CommandResult: ...

    def close(self) -> None: ...

    def __enter__(self) -> Runner: ...

    def __exit__(self, *exc: object) -> None: ...
