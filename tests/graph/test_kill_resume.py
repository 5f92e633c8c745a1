"""A run killed (SIGKILL) at any point resumes through ``agent resume`` to the same result."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import git
from tests.graph.test_run_scripted import GOOD_EDIT, PLAN

SLOW_TESTS = "sh -c 'sleep 2 && python3 -m pytest -q'"


def agent(args: list[str], stdin: str | None = None, **kw: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "NO_COLOR": "1"}
    return subprocess.Popen(
        [sys.executable, "-m", "agent", *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
        **kw,
    )  # type: ignore[call-overload]


def refine(repo: Path, replies: Path) -> subprocess.Popen[str]:
    return agent(
        [
            "refine",
            str(repo),
            "--goal",
            "validate quantities",
            "--model",
            f"scripted:{replies}",
            "--sandbox",
            "none",
            "--test-command",
            SLOW_TESTS,
        ]
    )


def wait_for(proc: subprocess.Popen[str], marker: str, timeout: float = 300) -> str:
    """Read the process's output until ``marker`` shows, without blocking past ``timeout``."""
    deadline = time.monotonic() + timeout
    seen = ""
    assert proc.stdout is not None
    fd = proc.stdout.fileno()
    while marker not in seen:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        chunk = os.read(fd, 65536).decode(errors="replace") if ready else ""
        if not chunk:
            proc.kill()
            raise AssertionError(f"never saw {marker!r}; output:\n{seen}")
        seen += chunk
    return seen


def finish(repo: Path, run_id: str) -> str:
    proc = agent(["resume", run_id])
    out, _ = proc.communicate("a\n", timeout=300)
    assert proc.returncode == 0, out
    return out


def run_id_of(repo: Path) -> str:
    [run] = list((repo / ".agent" / "runs").iterdir())
    return run.name


@pytest.fixture(scope="module")
def replies(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("replies") / "replies.json"
    path.write_text(json.dumps([PLAN, GOOD_EDIT]))
    return path


@pytest.fixture(scope="module")
def reference_tree(replies: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The tree an uninterrupted run ends with."""
    from tests.conftest import WORKSPACES, make_repo

    repo = make_repo(WORKSPACES / "py-inventory", tmp_path_factory.mktemp("ref") / "repo")
    proc = refine(repo, replies)
    out, _ = proc.communicate("a\n", timeout=300)
    assert proc.returncode == 0, out
    return git(repo, "rev-parse", f"agent/{run_id_of(repo)}^{{tree}}")


# marker printed just before the phase in which the process is killed, and the delay after it
KILL_POINTS = {
    "baseline": ("Run ", 1.0),
    "verify": ("proposed a patch", 1.0),
    "gate": ("Policy findings", 0.5),
    "check": ("applied as", 1.0),
}


@pytest.mark.parametrize("phase", list(KILL_POINTS))
def test_killed_run_resumes_to_the_same_result(phase: str, py_repo: Path, replies: Path, reference_tree: str) -> None:
    user_file = (py_repo / "inventory/stock.py").read_text()
    marker, delay = KILL_POINTS[phase]
    proc = refine(py_repo, replies)
    if phase == "check":  # approve at the review screen, then kill during the check after apply
        wait_for(proc, "Policy findings")
        assert proc.stdin is not None
        proc.stdin.write("a\n")
        proc.stdin.flush()
    wait_for(proc, marker)
    time.sleep(delay)
    proc.kill()
    proc.wait()
    run_id = run_id_of(py_repo)
    out = finish(py_repo, run_id)
    assert "applied" in out
    branch = f"agent/{run_id}"
    assert git(py_repo, "rev-parse", f"{branch}^{{tree}}") == reference_tree
    base = git(py_repo, "rev-parse", "main")
    assert git(py_repo, "rev-list", "--count", f"{base}..{branch}") == "1"  # no lost or duplicated commit
    refs = git(py_repo, "for-each-ref", "--format=%(refname)", f"refs/agent/{run_id}/").split()
    assert refs == [f"refs/agent/{run_id}/stage-1"]
    worktree = py_repo / ".agent" / "runs" / run_id / "worktree"
    assert git(worktree, "status", "--porcelain") == ""
    assert git(worktree, "rev-parse", "HEAD") == git(py_repo, "rev-parse", branch)
    assert (py_repo / "inventory/stock.py").read_text() == user_file
    assert git(py_repo, "status", "--porcelain") == ""


def test_second_run_on_the_same_repository_is_refused(py_repo: Path, replies: Path) -> None:
    first = refine(py_repo, replies)
    wait_for(first, "Policy findings")  # waiting at the approval gate, holding the lock
    second = refine(py_repo, replies)
    out, _ = second.communicate("", timeout=120)
    assert second.returncode == 1
    assert "another agent run is working on" in out and "Traceback" not in out
    first.kill()
    first.wait()
    # the killed run's lock is not stale: the kernel released it, so resume gets it at once
    assert "applied" in finish(py_repo, run_id_of(py_repo))


def test_end_of_input_at_the_gate_pauses_the_run(py_repo: Path, replies: Path) -> None:
    proc = refine(py_repo, replies)
    out, _ = proc.communicate("", timeout=300)
    assert proc.returncode == 130, out
    assert f"agent resume {run_id_of(py_repo)}" in out


def test_refine_refused_before_its_first_step_leaves_git_status_alone(py_repo: Path) -> None:
    """A broken policy file stops the run before its first step; nothing of it shows in git status."""
    from agent.errors import AgentError
    from agent.llm.scripted import ScriptedModel
    from agent.runs.session import start
    from agent.sandbox.local import LocalRunner
    from tests.conftest import reviewing_terminal

    (py_repo / "policies").mkdir()
    (py_repo / "policies" / "default.yaml").write_text("signers: [\n")
    before = git(py_repo, "status", "--porcelain")
    with pytest.raises(AgentError):
        start(py_repo, "validate quantities", reviewing_terminal(), {"sandbox": "none", "model": "scripted"},
              model=ScriptedModel([]), runner=LocalRunner())
    assert git(py_repo, "status", "--porcelain") == before == "?? policies/"
    assert list((py_repo / ".agent" / "runs").iterdir()) == []


APPEND_KILLED = """
import os, signal, sys
from pathlib import Path
from agent.approval import audit
log, nth = Path(sys.argv[1]), int(sys.argv[2])
real, calls = os.fsync, [0]
def fsync(fd):
    real(fd)
    calls[0] += 1
    if calls[0] == nth:
        os.kill(os.getpid(), signal.SIGKILL)
os.fsync = fsync
audit.append_event(log, "run-1", "run_ended", {"outcomes": []})
"""


@pytest.mark.parametrize("nth", [1, 2])
def test_audit_append_killed_after_any_durable_write_is_not_tampering(nth: int, tmp_path: Path) -> None:
    """SIGKILL after each fsync of an append: the log verifies, and the next append goes on."""
    from agent.approval import audit

    log = tmp_path / "audit.jsonl"
    for event in ("run_started", "plan", "applied"):
        audit.append_event(log, "run-1", event, {"stage": 1})
    killed = subprocess.run([sys.executable, "-c", APPEND_KILLED, str(log), str(nth)], capture_output=True)
    assert killed.returncode == -9, killed.stderr
    report = audit.verify_log(log)
    assert report.ok, report.problem
    audit.append_event(log, "run-1", "rolled_back", {"stage": 1})
    again = audit.verify_log(log)
    assert again.ok, again.problem
    assert [e["event"] for e in again.entries][-1] == "rolled_back"
    assert len(again.entries) == len(report.entries) + 1


def test_relative_model_path_is_kept_absolute(py_repo: Path, replies: Path, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """'--model scripted:FILE' relative to where refine ran; resume from elsewhere still finds it."""
    monkeypatch.chdir(replies.parent)
    proc = agent(["refine", str(py_repo), "--goal", "validate quantities", "--model", f"scripted:{replies.name}",
                  "--sandbox", "none"], cwd=replies.parent)
    out, _ = proc.communicate("q\n", timeout=300)
    assert proc.returncode == 130, out
    run_id = run_id_of(py_repo)
    meta = json.loads((py_repo / ".agent" / "runs" / run_id / "meta.json").read_text())
    assert meta["settings"]["model"] == f"scripted:{replies}"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    resumed = agent(["resume", run_id], cwd=elsewhere)
    out, _ = resumed.communicate("a\n", timeout=300)
    assert resumed.returncode == 0, out
    assert "applied" in out
