"""The Docker runner: one hardened, warm container per run; each check is a ``docker exec``.

Starting a container per check would dominate short test suites, so one container (no network,
read-only root, no capabilities, uid 65534, memory/pids/CPU limits) lives for the whole run.
Each check gets a fresh host copy of the repository under the container's only bind mount;
afterwards every process of the sandbox user is killed and /tmp, /dev/shm and the copy are
wiped, so nothing a check started or wrote reaches the next one.
"""

from __future__ import annotations

import atexit
import os
import socket
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from agent.errors import AgentError
from agent.home import data_home
from agent.sandbox import images
from agent.sandbox.base import (
    EXIT_SANDBOX_ERROR,
    LIMIT_EXIT,
    SANDBOX_ENV,
    CommandResult,
    Limits,
)
from agent.sandbox.cgroups import CgroupCounters
from agent.sandbox.stream import CappedReader, Echo
from agent.sandbox.workcopy import SANDBOX_GID, SANDBOX_UID, make_copy, remove_tree

USER = f"{SANDBOX_UID}:{SANDBOX_GID}"

# PID 1 of the container: reaps orphans (so killed checks leave no zombies holding pids) and,
# being init, survives the `kill -9 -1` that ends every check.
REAPER = (
    "import os,signal\n"
    "signal.pthread_sigmask(signal.SIG_BLOCK,{signal.SIGCHLD,signal.SIGTERM})\n"
    "while True:\n"
    "    signal.sigtimedwait({signal.SIGCHLD},5)\n"
    "    try:\n"
    "        while os.waitpid(-1,os.WNOHANG)[0]>0: pass\n"
    "    except ChildProcessError: pass\n"
)
# Run as the sandbox user after each check: kill all its processes, then wipe what it wrote.
RESET = (
    "i=0; while [ $i -lt 50 ]; do kill -9 -1 2>/dev/null; left=0;"
    " for d in /proc/[0-9]*; do p=${d#/proc/};"
    " if [ $p != 1 ] && [ $p != $$ ] && [ -d $d ]; then left=1; fi; done;"
    " [ $left = 0 ] && break; sleep 0.05; i=$((i+1)); done;"
    " chmod -R u+rwX \"$1\" 2>/dev/null; rm -rf \"$1\" /tmp/* /tmp/.[!.]* /dev/shm/* 2>/dev/null;"
    " [ $left = 0 ]"
)
TMP_MB = 256
LABEL, OWNER, DIR = "agent.sandbox", "agent.sandbox.owner", "agent.sandbox.dir"
POLL_S = 0.05
STALE_DIR_S = 600


class DockerRunner:
    """Runs checks in one warm hardened container; use as a context manager to remove it."""

    name = "docker"

    def __init__(self, image: str, client: Any, echo: Echo | None = None, *,
                 follow_tree: bool = False) -> None:
        self.image = image
        self._follow = follow_tree  # switch to a bigger image when a check's tree needs one
        self._client = client
        self._echo = echo
        self._container: Any = None
        self._limits: Limits | None = None
        self._root: Path | None = None
        self._checks = 0
        self._counters: CgroupCounters | None = None
        self._init_pid = 0

    def __enter__(self) -> DockerRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def run(self, workdir: Path, command: list[str], limits: Limits) -> CommandResult:
        if self._follow and not images.covers(self.image, images.RUST_IMAGE):  # else nothing bigger is needed
            need = images.image_for(workdir)
            if not images.covers(self.image, need):
                self._stop()
                self.image = need
        self._ensure(limits)
        assert self._root is not None and self._counters is not None
        self._checks += 1
        name = f"check-{self._checks}"
        make_copy(workdir, self._root / name)
        api = self._client.api
        before = self._counters.read()
        start = time.monotonic()
        exec_id = api.exec_create(self._container.id, command, user=USER,
                                  workdir=f"/work/{name}", environment=SANDBOX_ENV)["Id"]
        reader = CappedReader(self._stream(exec_id, limits), limits.output_bytes, self._echo)
        reader.start()
        killed_by = self._wait(exec_id, reader, start + limits.timeout_s)
        clean = self._reset(name)
        if not clean and not self._alive():
            self._stop()
            raise AgentError(
                "the sandbox container went away during the check (was the Docker engine restarted?); "
                "check 'agent doctor', then resume", exit_code=EXIT_SANDBOX_ERROR,
            )
        after = self._counters.read()
        if not clean:
            self._stop()  # a process survived the reset: end it with the container
        reader.join(5)
        duration = time.monotonic() - start
        exit_code = self._exit_code(exec_id) if clean else 137
        failed = killed_by is not None or exit_code != 0
        if failed and after.oom_kills > before.oom_kills:
            killed_by = "memory"
        elif failed and after.pids_max > before.pids_max:
            killed_by = "pids"
        elif killed_by is None and exit_code == 137 and not self._counters.available:
            killed_by = "memory"  # no cgroup files to ask: an unexplained SIGKILL is the OOM killer
        if self._root is not None:
            remove_tree(self._root / name)
        output = reader.text()
        if killed_by:
            exit_code = LIMIT_EXIT[killed_by]
        return CommandResult(exit_code, output, duration, killed_by)

    def _stream(self, exec_id: str, limits: Limits) -> Any:
        """The command's output stream, whose reads may idle as long as the check may run
        (the client's own timeout would cut a quiet test's output short)."""
        api = self._client.api
        saved, api.timeout = api.timeout, limits.timeout_s + 60
        try:
            return api.exec_start(exec_id, stream=True)
        finally:
            api.timeout = saved

    def _wait(self, exec_id: str, reader: CappedReader, deadline: float) -> str | None:
        """Wait for the command; name the limit if one stops it first."""
        while True:
            reader.join(POLL_S)
            if reader.over:
                return "output"
            if not reader.is_alive():
                return None
            if time.monotonic() >= deadline:
                return "timeout"
            if not self._client.api.exec_inspect(exec_id)["Running"]:
                reader.join(0.2)  # leftover processes hold the pipe open: the reset ends them
                return None

    def _exit_code(self, exec_id: str) -> int:
        import docker

        for _ in range(100):
            try:
                info = self._client.api.exec_inspect(exec_id)
            except docker.errors.NotFound:
                break
            if not info["Running"] and info["ExitCode"] is not None:
                return int(info["ExitCode"])
            time.sleep(POLL_S)
        return 137

    def _reset(self, name: str) -> bool:
        """Kill every process of the sandbox user and wipe its writable places.

        False when that could not be done (even the reset could not start, e.g. under a fork
        bomb at the pids limit): the caller then removes the container instead.
        """
        import docker

        assert self._counters is not None
        self._counters.kill_all_but(self._init_pid)
        try:
            result = self._container.exec_run(["/bin/sh", "-c", RESET, "reset", f"/work/{name}"],
                                              user=USER, environment=SANDBOX_ENV)
        except docker.errors.APIError:
            return False
        return result.exit_code == 0

    def _ensure(self, limits: Limits) -> None:
        """Start the container, or restart it when the limits it was started with differ."""
        if self._container is not None and self._limits == limits:
            return
        self._stop()
        import docker
        from docker.types import Mount, Ulimit

        _remove_stale(self._client)
        self._root = Path(tempfile.mkdtemp(prefix="run-", dir=_work_parent()))
        self._root.chmod(0o755)  # the bind root: the sandbox user may enter but not create
        try:
            self._container = self._client.containers.run(
                self.image, ["python3", "-c", REAPER], detach=True,
                name=f"agent-sandbox-{uuid.uuid4().hex[:12]}",
                labels={LABEL: "1", OWNER: f"{socket.gethostname()}:{os.getpid()}", DIR: str(self._root)},
                user=USER, environment=SANDBOX_ENV, working_dir="/work", hostname="sandbox",
                network_mode="none", read_only=True, cap_drop=["ALL"],
                security_opt=["no-new-privileges"],
                tmpfs={"/tmp": f"rw,noexec,nosuid,nodev,size={TMP_MB}m"},
                mounts=[Mount("/work", str(self._root), type="bind")],
                mem_limit=f"{limits.memory_mb}m", memswap_limit=f"{limits.memory_mb}m",
                mem_swappiness=0, pids_limit=limits.pids, nano_cpus=int(limits.cpus * 1e9),
                ulimits=[Ulimit(name="core", soft=0, hard=0)],
            )
        except docker.errors.ImageNotFound:
            self._stop()
            raise AgentError(
                f"sandbox image {self.image} is missing: run 'agent sandbox build "
                f"--image {images.short_name(self.image)}'", exit_code=EXIT_SANDBOX_ERROR,
            ) from None
        except docker.errors.APIError as ex:
            self._stop()
            raise AgentError(f"could not start the sandbox container: {ex.explanation}",
                             exit_code=EXIT_SANDBOX_ERROR) from None
        self._limits = limits
        self._container.reload()
        self._init_pid = int(self._container.attrs["State"]["Pid"])
        self._counters = CgroupCounters(self._container.id)
        atexit.register(self.close)

    def _alive(self) -> bool:
        """Whether the warm container still runs: an engine restart or a removal ends it, and
        then the check's result says nothing about the code under test."""
        for _ in range(10):  # a container being removed still says "running" for a moment
            try:
                self._container.reload()
            except Exception:  # gone, or the engine does not answer
                return False
            if self._container.status != "running":
                return False
            time.sleep(0.2)
        return True

    def _stop(self) -> None:
        if self._container is not None:
            try:
                self._container.remove(force=True)
            except Exception:  # already gone, or the engine went away: nothing left to do
                pass
            self._container = None
            self._limits = None
            atexit.unregister(self.close)
        if self._root is not None:
            remove_tree(self._root)
            self._root = None

    def close(self) -> None:
        """Remove the warm container and its work directory."""
        self._stop()


def _remove_stale(client: Any) -> None:
    """Remove warm containers and work dirs left by agent processes that died."""
    host = socket.gethostname()
    in_use = set()
    # another process may remove its container between the listing and its inspection
    for container in client.containers.list(all=True, filters={"label": LABEL}, ignore_removed=True):
        owner_host, _, pid = container.labels.get(OWNER, "").rpartition(":")
        if owner_host == host and pid.isdigit() and not _alive(int(pid)):
            try:
                container.remove(force=True)
                continue
            except Exception:  # another process is removing it right now
                pass
        in_use.add(container.labels.get(DIR, ""))
    cutoff = time.time() - STALE_DIR_S  # younger dirs may belong to a container being created
    for work in _work_parent().glob("run-*"):
        try:
            stale = str(work) not in in_use and work.stat().st_mtime < cutoff
        except FileNotFoundError:  # removed by another process meanwhile
            continue
        if stale:
            remove_tree(work)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _work_parent() -> Path:
    parent = data_home() / "sandbox" / "work"
    parent.mkdir(parents=True, exist_ok=True)
    return parent
