"""A fork server for fault trials: imports agent once, then for each request forks a child, in
a process group of its own, that starts or resumes a two-stage scripted run; the whole group
(the run and its git and test processes) is SIGKILLed at the moment the request names.

usage: fault_driver.py serve
One JSON request a line on stdin, one JSON reply a line on stdout. A request:
  {"command": "start" | "resume", "repo": PATH, "run": RUN_ID (resume), "log": PATH,
   "sandbox": "none" | "bwrap", "env": {NAME: VALUE},
   "kill_after": SECONDS                          the server kills the group after this long, or
   "kill_at": {"node": K}                         on entering the K-th node call, or
   "kill_at": {"git_lock": N}                     while git holds a lock, the N-th time one appears, or
   "kill_at": {"before"|"after": "MODULE:NAME", "nth": N}   around the N-th call of that
                                                  function (NAME may be Class.method), or
   "kill_at": {"tear": N}                         halfway through the N-th audit entry write}
The reply: {"status": exit status, or -9 when killed, "elapsed": seconds, "leftovers": pids of
test processes still alive a moment after the run ended}.

Every stage is approved (signed by the local key). The model answers by request, not by order,
so a resumed process gets the same replies for the same questions as an uninterrupted one.
"""

from __future__ import annotations

import ctypes
import importlib
import json
import os
import select
import signal
import sys
import tempfile
import threading
import time
import traceback
from contextlib import nullcontext
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from agent.approval import audit  # noqa: E402
from agent.errors import AgentError  # noqa: E402
from agent.graph import nodes  # noqa: E402
from agent.llm.base import Message  # noqa: E402
from agent.llm.scripted import ScriptedModel  # noqa: E402
from agent.rundir import RunFiles  # noqa: E402
from agent.runs.session import Terminal, resume, start  # noqa: E402
from tests.graph.test_run_scripted import GOOD_EDIT  # noqa: E402

GOAL = "validate and document"
PLAN = json.dumps({"stages": [
    {"title": "Validate quantity", "intent": "raise on negative quantity", "files": ["inventory/stock.py"]},
    {"title": "Document", "intent": "add a NOTES file", "files": ["NOTES.md"]},
]})
NOTES = json.dumps({"edits": [{"file": "NOTES.md", "search": "", "replace": "Quantities are validated.\n"}]})
PR_SET_CHILD_SUBREAPER = 36
NODE_NAMES = ("snapshot", "plan", "propose", "verify", "gate", "apply", "check", "rollback", "advance", "report")
# Cheap, and it leaves a background process behind: a test process that outlives its run shows.
TEST_COMMAND = ["sh", "-c", "sleep 47 & grep -q 'def add_item' inventory/stock.py"]


class ByRequest(ScriptedModel):
    def complete(self, messages: list[Message], **kwargs: Any) -> str:
        task = messages[-1]["content"]
        return PLAN if "# Task: plan" in task else (GOOD_EDIT if "Stage 1 of" in task else NOTES)


def die() -> None:
    os.killpg(0, signal.SIGKILL)  # the run and whatever it started, as a closed terminal does


def kill_at_node_entry(k: int) -> None:
    """SIGKILL on entering the k-th node call: the previous node's checkpoint is on disk."""
    calls = [0]
    for name in NODE_NAMES:
        original = getattr(nodes, name)

        def wrapped(state: Any, svc: Any, _original: Any = original) -> Any:
            calls[0] += 1
            if calls[0] == k:
                die()
            return _original(state, svc)

        setattr(nodes, name, wrapped)


def kill_around(target: str, nth: int, after: bool) -> None:
    """SIGKILL just before or just after the nth call of ``module:name`` (``name`` may be dotted)."""
    module_name, _, path = target.partition(":")
    owner: Any = importlib.import_module(module_name)
    *parents, name = path.split(".")
    for part in parents:
        owner = getattr(owner, part)
    original = getattr(owner, name)
    calls = [0]

    def wrapped(*args: Any, **kwargs: Any) -> Any:
        calls[0] += 1
        if calls[0] == nth and not after:
            die()
        result = original(*args, **kwargs)
        if calls[0] == nth and after:
            die()
        return result

    setattr(owner, name, wrapped)


def others_in_group() -> list[int]:
    """The pids of this process group's other processes (git, tests), read from /proc."""
    group, me, pids = os.getpgid(0), os.getpid(), []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != me:
            try:
                if os.getpgid(int(entry.name)) == group:
                    pids.append(int(entry.name))
            except ProcessLookupError:
                pass
    return pids


def signal_all(pids: list[int], signum: int) -> None:
    for pid in pids:
        try:
            os.kill(pid, signum)
        except ProcessLookupError:
            pass


def kill_while_git_locks(nth: int, repo: Path) -> None:
    """SIGKILL while a git process holds a lock file (index.lock, HEAD.lock, a ref's .lock) in
    ``repo``'s git folder: the nth time one appears, as seen by a thread polling for them.
    Polling alone races git, which may drop the lock between the look and the kill; so the
    group's other processes are frozen first and the lock looked for again. A lock already
    gone lets them go on, and the next one to appear takes its place."""
    git_dir = repo / ".git"

    def held() -> bool:
        return any(any(git_dir.glob(pattern)) for pattern in ("worktrees/*/*.lock", "*.lock", "refs/*/*/*.lock",
                                                               "refs/*/*/*/*.lock"))

    def watch() -> None:
        seen, before = 0, False
        while True:
            now = held()
            if now and not before:
                if seen + 1 == nth:
                    frozen = others_in_group()
                    signal_all(frozen, signal.SIGSTOP)
                    if held():
                        die()
                    signal_all(frozen, signal.SIGCONT)
                    now = False
                else:
                    seen += 1
            before = now
            time.sleep(0.0001)

    threading.Thread(target=watch, daemon=True).start()


def tear_audit_write(nth: int) -> None:
    """The nth audit entry write stops halfway, as a kill during a large write can leave it."""
    original = audit._write_entry
    calls = [0]

    def torn(fd: int, data: bytes) -> None:
        calls[0] += 1
        if calls[0] == nth:
            os.write(fd, data[: len(data) // 2])
            die()
        original(fd, data)

    audit._write_entry = torn  # type: ignore[assignment]


def terminal() -> Terminal:
    def approve(payload: dict[str, Any]) -> dict[str, Any]:
        return {"decision": "approve", "approver": "tester", "reason": ""}

    return Terminal(show=lambda line: print(line, flush=True), busy=lambda what: nullcontext(), reviewer=approve)


def arm(kill_at: dict[str, Any], repo: Path) -> None:
    if "git_lock" in kill_at:
        kill_while_git_locks(kill_at["git_lock"], repo)
    elif "node" in kill_at:
        kill_at_node_entry(kill_at["node"])
    elif "tear" in kill_at:
        tear_audit_write(kill_at["tear"])
    else:
        after = "after" in kill_at
        kill_around(kill_at["after" if after else "before"], kill_at.get("nth", 1), after)


def run(request: dict[str, Any]) -> None:
    """In the child: the run itself, started or resumed as the request says."""
    repo = Path(request["repo"])
    if request.get("kill_at"):
        arm(request["kill_at"], repo)
    if request["command"] == "resume":
        resume(RunFiles(repo, request["run"]), terminal(), model=ByRequest([]))
        print("RESUMED", flush=True)
        return
    settings = {"sandbox": request.get("sandbox", "none"), "model": "scripted", "max_stages": 2,
                "test_command": TEST_COMMAND}
    start(repo, GOAL, terminal(), settings, model=ByRequest([]), allow_dirty=True)
    print("FINISHED", flush=True)


def child(request: dict[str, Any]) -> None:
    os.setpgid(0, 0)
    null = os.open(os.devnull, os.O_RDONLY)
    log = os.open(request["log"], os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
    os.dup2(null, 0)
    os.dup2(log, 1)
    os.dup2(log, 2)
    os.environ.update(request.get("env", {}))
    tempfile.tempdir = None  # read $TMPDIR afresh
    code = 0
    try:
        run(request)
    except AgentError as err:
        print(f"agent: {err}", flush=True)
        code = err.exit_code
    except BaseException:
        traceback.print_exc()
        code = 70
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


def leftovers() -> list[int]:
    """Processes of the test command (``sleep 47``) still alive, after a short grace period."""
    deadline = time.monotonic() + 2.0
    while True:
        found = []
        for proc in Path("/proc").glob("[0-9]*"):
            try:
                if (proc / "cmdline").read_bytes() == b"sleep\x0047\x00" and b"State:\tZ" not in (
                        proc / "status").read_bytes():
                    found.append(int(proc.name))
            except OSError:
                continue
        if not found or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


def reap() -> None:
    """Wait until every process the killed group left has ended (this server is their
    subreaper): a child forked just before the kill may still hold the run's files open."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            time.sleep(0.005)


def attempt(request: dict[str, Any]) -> dict[str, Any]:
    """Fork the run, kill its group at ``kill_after`` if it is still going, and wait for it."""
    began = time.monotonic()
    pid = os.fork()
    if pid == 0:
        child(request)
    try:
        os.setpgid(pid, pid)  # also here, so the group exists before any kill below
    except OSError:
        pass
    watch = os.pidfd_open(pid)
    delay = request.get("kill_after")
    ready, _, _ = select.select([watch], [], [], delay)
    if not ready:
        os.killpg(pid, signal.SIGKILL)
    os.close(watch)
    _, status = os.waitpid(pid, 0)
    code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
    elapsed = time.monotonic() - began
    left = leftovers()
    for stray in left:
        os.kill(stray, signal.SIGKILL)
    reap()
    return {"status": code, "elapsed": elapsed, "leftovers": left}


def serve() -> None:
    ctypes.CDLL(None).prctl(PR_SET_CHILD_SUBREAPER, 1)  # orphans of a killed run come to us
    for line in sys.stdin:
        reply = attempt(json.loads(line))
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


if __name__ == "__main__":
    serve()
