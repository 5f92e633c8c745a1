"""The bubblewrap runner: for machines without Docker, using the host's toolchains read-only.

Every namespace is unshared (network included: only a private loopback), the host's /usr is
bound read-only, /etc is a handful of harmless files plus a made-up passwd, the repo copy is
the only writable bind and /tmp a private tmpfs. There are no cgroups here, so limits are
rlimits set by ``prlimit``: address space (memory), processes, file size, CPU time; wall
time and the output cap are enforced from outside. When run as root the sandbox is started
as uid 65534, since root ignores the process limit.

Each check's copy lives in a scratch folder locked (``flock``) while the check runs; opening a
runner removes the folders whose lock is free, which a killed run left behind.
"""

from __future__ import annotations

import fcntl
import os
import re
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from agent.errors import AgentError
from agent.sandbox.base import (
    EXIT_SANDBOX_ERROR,
    LIMIT_EXIT,
    SANDBOX_ENV,
    CommandResult,
    Limits,
)
from agent.sandbox.stream import Echo, supervise
from agent.sandbox.workcopy import SANDBOX_GID, SANDBOX_UID, make_copy, remove_tree

ETC_KEEP = ("alternatives", "ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime", "ssl",
            "ca-certificates", "python3", "python3.11", "python3.12", "python3.13")
PASSWD = "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/tmp:/bin/sh\n"
GROUP = "root:x:0:\nnogroup:x:65534:\n"
# Allocation refused under RLIMIT_AS, or fork refused under RLIMIT_NPROC, as runtimes print it.
MEMORY_SIGNS = re.compile(r"MemoryError|Cannot allocate memory|memory allocation of \d+ bytes "
                          r"failed|std::bad_alloc|out of memory", re.I)
PIDS_SIGNS = re.compile(r"BlockingIOError: \[Errno 11\]|Resource temporarily unavailable|"
                        r"fork: retry|can't fork")
FILE_SIZE_MB = 1024
TMP_MB = 256


class BwrapRunner:
    """Runs each check in a fresh bubblewrap sandbox over a fresh copy of the repository."""

    name = "bwrap"

    def __init__(self, echo: Echo | None = None) -> None:
        self._echo = echo
        self._bwrap = shutil.which("bwrap")
        if self._bwrap is None:
            raise AgentError("bubblewrap not found: install it ('apt-get install bubblewrap')",
                             exit_code=EXIT_SANDBOX_ERROR)
        clear_stale_scratch(_scratch_parent())

    def __enter__(self) -> BwrapRunner:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Each check's sandbox is gone when it ends: nothing is kept."""

    def run(self, workdir: Path, command: list[str], limits: Limits) -> CommandResult:
        with _scratch(_scratch_parent()) as scratch:
            copy = make_copy(workdir, scratch / "repo")
            etc = _fake_etc(scratch / "etc")
            return self._run(copy, etc, command, limits)

    def _run(self, copy: Path, etc: Path, command: list[str], limits: Limits) -> CommandResult:
        as_root = os.geteuid() == 0
        uid = SANDBOX_UID if as_root else os.getuid()
        argv = _prlimit(limits, uid) + [str(self._bwrap), *_bwrap_args(copy, etc), "--", *command]
        start = time.monotonic()
        exit_code, output, killed_by = supervise(
            argv, limits, self._echo, env=dict(SANDBOX_ENV), user=SANDBOX_UID if as_root else None,
            group=SANDBOX_GID if as_root else None, extra_groups=[] if as_root else None,
        )
        if killed_by is None and exit_code != 0:
            if MEMORY_SIGNS.search(output[-4000:]):
                killed_by = "memory"
            elif PIDS_SIGNS.search(output[-4000:]):
                killed_by = "pids"
        if killed_by:
            exit_code = LIMIT_EXIT[killed_by]
        return CommandResult(exit_code, output, time.monotonic() - start, killed_by)


def _scratch_parent() -> Path:
    """Outside the home dir, where the sandbox user (uid 65534 under root) can reach it: under
    $TMPDIR, unless (as root) a folder above it is closed to others; then /tmp or /var/tmp."""
    for base in (Path(tempfile.gettempdir()), Path("/tmp"), Path("/var/tmp")):
        if base.is_dir() and (os.geteuid() != 0 or _open_to_others(base)):
            parent = base / f"agent-sandbox-{os.getuid()}"
            parent.mkdir(mode=0o711, exist_ok=True)
            return parent
    raise AgentError(f"the sandbox user cannot reach {tempfile.gettempdir()} or /tmp: "
                     "set TMPDIR to a folder every user may enter (mode 1777, like /tmp)",
                     exit_code=EXIT_SANDBOX_ERROR)


def _open_to_others(folder: Path) -> bool:
    """Every folder from / down to ``folder`` lets other users through (the x bit)."""
    real = folder.resolve()
    return all(p.stat().st_mode & 0o001 for p in (real, *real.parents))


@contextmanager
def _parent_lock(parent: Path, mode: int) -> Iterator[None]:
    fd = os.open(parent / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, mode)
        yield
    finally:
        os.close(fd)


@contextmanager
def _scratch(parent: Path) -> Iterator[Path]:
    """A fresh scratch folder, locked while in use and removed after."""
    with _parent_lock(parent, fcntl.LOCK_SH):  # not swept away between its making and its lock
        scratch = Path(tempfile.mkdtemp(prefix="bwrap-", dir=parent))
        fd = os.open(scratch, os.O_RDONLY)
        fcntl.flock(fd, fcntl.LOCK_EX)
    try:
        scratch.chmod(0o711)  # the sandbox user must reach the copy and /etc files inside
        yield scratch
    finally:
        remove_tree(scratch)
        os.close(fd)


def clear_stale_scratch(parent: Path) -> list[Path]:
    """Remove scratch folders no live check holds: a killed run's copies. Returns them."""
    removed = []
    with _parent_lock(parent, fcntl.LOCK_EX):
        for scratch in parent.glob("bwrap-*"):
            fd = os.open(scratch, os.O_RDONLY)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                continue  # a check of a live run
            finally:
                os.close(fd)
            remove_tree(scratch)
            removed.append(scratch)
    return removed


def _prlimit(limits: Limits, uid: int) -> list[str]:
    """rlimits for the sandbox; the process limit counts all of ``uid``'s tasks, so add them."""
    nproc = limits.pids + _tasks_of(uid)
    cpu_s = int(limits.timeout_s * max(limits.cpus, 1.0)) + 5
    return ["prlimit", f"--as={limits.memory_mb * 1024 * 1024}", f"--nproc={nproc}",
            f"--fsize={FILE_SIZE_MB * 1024 * 1024}", f"--cpu={cpu_s}", "--core=0", "--"]


def _tasks_of(uid: int) -> int:
    count = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        uid_line = re.search(r"^Uid:\s+(\d+)", text, re.M)
        threads = re.search(r"^Threads:\s+(\d+)", text, re.M)
        if uid_line and int(uid_line.group(1)) == uid:
            count += int(threads.group(1)) if threads else 1
    return count


def _fake_etc(etc: Path) -> Path:
    etc.mkdir()
    (etc / "passwd").write_text(PASSWD)
    (etc / "group").write_text(GROUP)
    (etc / "hosts").write_text("127.0.0.1 localhost sandbox\n::1 localhost\n")
    (etc / "hostname").write_text("sandbox\n")
    for item in etc.iterdir():
        item.chmod(0o644)
    etc.chmod(0o755)
    return etc


def _bwrap_args(copy: Path, etc: Path) -> list[str]:
    args = ["--unshare-all", "--die-with-parent", "--new-session", "--clearenv",
            "--hostname", "sandbox", "--cap-drop", "ALL", "--uid", str(SANDBOX_UID),
            "--gid", str(SANDBOX_GID), "--ro-bind", "/usr", "/usr"]
    for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        host = Path("/") / top
        if host.is_symlink():
            args += ["--symlink", os.readlink(host), f"/{top}"]
        elif host.is_dir():
            args += ["--ro-bind", str(host), f"/{top}"]
    args += ["--dir", "/etc"]
    for name in ("passwd", "group", "hosts", "hostname"):
        args += ["--ro-bind", str(etc / name), f"/etc/{name}"]
    for name in ETC_KEEP:
        if (Path("/etc") / name).exists():
            args += ["--ro-bind", f"/etc/{name}", f"/etc/{name}"]
    args += ["--proc", "/proc", "--dev", "/dev", "--size", str(TMP_MB << 20), "--tmpfs", "/tmp",
             "--dir", "/var/tmp",
             "--bind", str(copy), "/work", "--remount-ro", "/", "--chdir", "/work"]
    for key, value in SANDBOX_ENV.items():
        args += ["--setenv", key, value]
    return args
