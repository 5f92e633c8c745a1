"""One run per repository at a time.

An ``flock`` on ``REPO/.agent/lock``: the kernel drops it when the holder dies, so a lock
left by a killed run never blocks the next one; the file only records who held it last.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType

from agent.errors import AgentError


class RepoLock:
    def __init__(self, repo: Path, run_id: str) -> None:
        self.path = repo / ".agent" / "lock"
        self.run_id = run_id
        self._fd: int | None = None

    def __enter__(self) -> RepoLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.read(fd, 200).decode(errors="replace").strip() or "another run"
            os.close(fd)
            raise AgentError(
                f"another agent run is working on {self.path.parent.parent} ({holder}); "
                "wait for it to finish or stop it, then try again"
            ) from None
        os.ftruncate(fd, 0)
        os.write(fd, f"run {self.run_id}, pid {os.getpid()}".encode())
        self._fd = fd
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
