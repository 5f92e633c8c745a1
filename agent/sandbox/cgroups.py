"""A container's cgroup seen from the host: event counters, and its processes.

A SIGKILLed check looks the same whatever killed it; the kernel's counters (oom_kill in the
memory cgroup, max in the pids cgroup) say which limit was hit. Killing a check's processes
from the host needs no new process in the container, which a fork bomb at the pids limit
would refuse. Works for cgroup v1 and v2 with the cgroupfs or systemd drivers when the engine
runs on this machine; otherwise ``available`` is False and callers fall back.
"""

from __future__ import annotations

import os
import re
import signal
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path("/sys/fs/cgroup")


@dataclass(frozen=True)
class Counts:
    oom_kills: int = 0
    pids_max: int = 0


class CgroupCounters:
    """Event counters of one container; ``available`` is False when no cgroup file is found."""

    def __init__(self, container_id: str) -> None:
        cid = container_id
        self._oom = _first([
            ROOT / "memory" / "docker" / cid / "memory.oom_control",
            ROOT / "memory" / "system.slice" / f"docker-{cid}.scope" / "memory.oom_control",
            ROOT / "docker" / cid / "memory.events",
            ROOT / "system.slice" / f"docker-{cid}.scope" / "memory.events",
        ])
        self._pids = _first([
            ROOT / "pids" / "docker" / cid / "pids.events",
            ROOT / "pids" / "system.slice" / f"docker-{cid}.scope" / "pids.events",
            ROOT / "docker" / cid / "pids.events",
            ROOT / "system.slice" / f"docker-{cid}.scope" / "pids.events",
        ])
        self.available = self._oom is not None
        self._procs = self._pids.parent / "cgroup.procs" if self._pids else None

    def read(self) -> Counts:
        return Counts(_field(self._oom, "oom_kill"), _field(self._pids, "max"))

    def kill_all_but(self, keep: int, wait_s: float = 2.0) -> bool:
        """SIGKILL every process in the container except host pid ``keep`` (its init), until
        none is left; False when that cannot be done from here."""
        if self._procs is None:
            return False
        deadline = time.monotonic() + wait_s
        while time.monotonic() < deadline:
            try:
                pids = [int(p) for p in self._procs.read_text().split() if int(p) != keep]
            except OSError:
                return False
            if not pids:
                return True
            for pid in pids:
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                except PermissionError:
                    return False
            time.sleep(0.01)
        return False


def _first(paths: list[Path]) -> Path | None:
    return next((p for p in paths if p.is_file()), None)


def _field(path: Path | None, name: str) -> int:
    if path is None:
        return 0
    try:
        match = re.search(rf"^{name} (\d+)$", path.read_text(), re.M)
    except OSError:
        return 0
    return int(match.group(1)) if match else 0
