"""Fault injection: a run whose whole process group (the run, its git and its tests) is
SIGKILLed at random instants from its first millisecond to its exit, and at anchored moments
(run files written, a git lock held, a checkpoint ref written, mid audit append, a step's result
saved without the next checkpoint, the report written), then resumed until it ends, ends exactly
like an uninterrupted run: same tree, commits and refs, clean worktree, the user's own dirty and
untracked files byte-identical, ``agent verify`` and ``agent audit verify`` passing, no test
process left alive. At every kill the run must also read consistently (audit log intact, a report
only once the log is complete, nothing of the run in the user's ``git status``).

Runs come from a fork server (``fault_driver.py``) that imports agent once, so a kill point costs
the run's own time, not an interpreter start.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from agent.approval.audit import verify_log
from agent.cli import app
from tests.conftest import WORKSPACES, git, make_repo

DRIVER = Path(__file__).with_name("fault_driver.py")
NODE_CALLS = 15  # snapshot, plan, then (propose verify gate apply check advance) x 2, report
USER_FILES = ("inventory/stock.py", "scratch.txt")
RANDOM_TRIALS = 18  # each starts once and is killed up to KILLS_PER_TRIAL times
KILLS_PER_TRIAL = 16
MIN_RANDOM_KILLS = 160  # kills that landed (a kill after the run ended is not counted)
MAX_RANDOM_TRIALS = 3 * RANDOM_TRIALS  # more trials run while fewer kills than that have landed
MAX_ATTEMPTS = KILLS_PER_TRIAL + 4


class Server:
    """The fork server: one request a trial attempt, answered when the attempt is over."""

    def __init__(self, home: Path) -> None:
        self.home = home  # the runs' agent home: its key is the one verification trusts
        env = {**os.environ, "AGENT_HOME": str(home), "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen([sys.executable, str(DRIVER)], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, text=True, env=env)

    def attempt(self, **request: Any) -> dict[str, Any]:
        assert self.proc.stdin is not None and self.proc.stdout is not None
        self.proc.stdin.write(json.dumps(request) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        assert line, "the fault server died"
        reply: dict[str, Any] = json.loads(line)
        return reply

    def close(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    served = Server(tmp_path_factory.mktemp("fault-home"))
    yield served
    served.close()


def trial_repo(dest: Path) -> Path:
    """py-inventory with the user's work in progress (a changed tracked file, an untracked one)."""
    repo = make_repo(WORKSPACES / "py-inventory", dest)
    stock = repo / "inventory" / "stock.py"
    stock.write_text(stock.read_text() + "# the user's work in progress\n")
    (repo / "scratch.txt").write_text("untracked notes\n")
    return repo


def user_view(repo: Path) -> dict[str, object]:
    """What the user sees of their own repository: status, branch, and their files' bytes."""
    return {
        "status": git(repo, "status", "--porcelain"),
        "main": git(repo, "rev-parse", "main"),
        "head": git(repo, "symbolic-ref", "HEAD"),
        **{name: (repo / name).read_bytes() for name in USER_FILES},
    }


def run_id_of(repo: Path) -> str | None:
    runs = [p for p in (repo / ".agent" / "runs").glob("[!.]*") if (p / "meta.json").is_file()]
    assert len(runs) <= 1, runs
    return runs[0].name if runs else None


def cli(home: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(app, list(args), env={"AGENT_HOME": str(home)})
    return result.exit_code, result.output


def outcome(repo: Path, home: Path) -> dict[str, object]:
    """What a finished run left: branch tree, commits, checkpoint refs, worktree, verification."""
    run = run_id_of(repo)
    assert run is not None
    run_dir = repo / ".agent" / "runs" / run
    branch = f"agent/{run}"
    refs = git(repo, "for-each-ref", "--format=%(refname:short) %(objectname)", f"refs/agent/{run}/").splitlines()
    worktree = run_dir / "worktree"
    return {
        "tree": git(repo, "rev-parse", f"{branch}^{{tree}}"),
        "commits": git(repo, "log", "--format=%s", f"main..{branch}").splitlines(),
        "refs": [r.split()[0].rsplit("/", 1)[1] for r in refs],
        "refs_on_branch": all(git(repo, "merge-base", "--is-ancestor", r.split()[1], branch) == "" for r in refs),
        "worktree_at_head": git(worktree, "rev-parse", "HEAD") == git(repo, "rev-parse", branch),
        "worktree_clean": git(worktree, "status", "--porcelain") == "",
        "report": (run_dir / "report.json").is_file(),
        "runs_says": cli(home, "runs", "--repo", str(repo))[1].split()[1],
        "verify": cli(home, "verify", run, "--repo", str(repo))[0],
        "audit_verify": cli(home, "audit", "verify", run, "--repo", str(repo))[0],
        "git_locks": sorted(str(p) for p in (repo / ".git").rglob("*.lock")),
    }


def check_stopped(repo: Path, user: dict[str, object]) -> list[str]:
    """A killed run reads consistently at the instant it died, before anything repairs it.
    Returns the git lock files the kill left."""
    assert user_view(repo) == user  # the run never shows in the user's git status
    locks = sorted(str(p.relative_to(repo)) for p in (repo / ".git").rglob("*.lock"))
    run = run_id_of(repo)
    if run is None:
        return locks
    run_dir = repo / ".agent" / "runs" / run
    log = verify_log(run_dir / "audit.jsonl")
    assert log.ok, log.problem  # a kill mid-append is not tampering
    if (run_dir / "report.json").is_file():  # 'agent runs' says finished: the log must be complete
        assert log.entries[-1]["event"] == "run_ended"
    return locks


Kills = list[dict[str, Any]] | Callable[[int], dict[str, Any]]


def run_to_the_end(server: Server, repo: Path, kills: Kills, log: Path, **request: Any) -> list[list[str]]:
    """Start the run, then resume it after each kill until it ends; ``kills`` arms attempt i
    (a list, or a function of i). Returns, for each kill that landed (a kill timed after the
    attempt ended does not), the git locks it left."""
    user = user_view(repo)
    stops: list[list[str]] = []
    for i in range(MAX_ATTEMPTS):
        run = run_id_of(repo)
        where = {"command": "resume", "run": run} if run else {"command": "start"}
        kill = kills(i) if callable(kills) else kills[i] if i < len(kills) else {}
        reply = server.attempt(repo=str(repo), log=str(log), **where, **kill, **request)
        assert reply["leftovers"] == [], f"test processes outlived the run: {reply}"
        if reply["status"] == 0:
            assert user_view(repo) == user
            return stops
        assert reply["status"] == -9, f"{where} {kill} ended with {reply}:\n{log.read_text()[-3000:]}"
        stops.append(check_stopped(repo, user))
    raise AssertionError(f"the run never finished:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="module")
def reference(server: Server, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An uninterrupted run: its outcome, and how long it takes on this machine now."""
    base = tmp_path_factory.mktemp("ref")
    repo = trial_repo(base / "repo")
    reply = server.attempt(command="start", repo=str(repo), log=str(base / "log"))
    assert reply["status"] == 0, (base / "log").read_text()
    result = outcome(repo, server.home)
    assert result["refs"] == ["stage-1", "stage-2"] and len(result["commits"]) == 2  # type: ignore[arg-type]
    assert result["report"] and result["runs_says"] == "finished"
    assert result["verify"] == 0 and result["audit_verify"] == 0 and result["git_locks"] == []
    return {"outcome": result, "seconds": reply["elapsed"]}


def killed_and_resumed(server: Server, tmp_path: Path, kills: Kills, **request: Any) -> dict[str, object]:
    repo = trial_repo(tmp_path / "repo")
    stops = run_to_the_end(server, repo, kills, tmp_path / "log", **request)
    assert len(stops) == len(kills), f"{len(kills) - len(stops)} of the kills never happened"
    return outcome(repo, server.home)


@pytest.mark.parametrize("k", range(1, NODE_CALLS + 1))
def test_kill_at_every_node_boundary(k: int, server: Server, reference: dict[str, Any], tmp_path: Path) -> None:
    assert killed_and_resumed(server, tmp_path, [{"kill_at": {"node": k}}]) == reference["outcome"]


ANCHORS = {
    # the run folder is in place, nothing checkpointed yet (class 1: resume had no input)
    "run files written": [{"kill_at": {"before": "agent.runs.session:drive"}}],
    # a step's result saved, the checkpoint after it not (class 2: resume did nothing)
    **{f"step result saved ({n})": [{"kill_at": {"after": "langgraph.checkpoint.sqlite:SqliteSaver.put_writes",
                                                 "nth": n}}] for n in (2, 5, 9, 14, 20)},
    "checkpoint ref written": [{"kill_at": {"after": "agent.vcs.worktree:RunWorktree.set_checkpoint", "nth": 1}}],
    # durable writes: audit entries and heads, run files (class 4: torn audit appends)
    **{f"after fsync {n}": [{"kill_at": {"after": "os:fsync", "nth": n}}] for n in range(1, 31, 3)},
    "audit entry torn": [{"kill_at": {"tear": 4}}],
    "audit head written, entry not": [{"kill_at": {"before": "agent.approval.audit:_write_entry", "nth": 3}}],
    "last audit append torn": [{"kill_at": {"tear": 11}}],
    "run_ended logged, report not": [{"kill_at": {"before": "agent.graph.nodes:write_report"}}],
    "report written": [{"kill_at": {"after": "agent.graph.nodes:write_report"}}],
    # kill after kill: each resume killed again at the next anchored moment
    "again and again": [{"kill_at": {"node": 3}}, {"kill_at": {"after": "os:fsync", "nth": 2}},
                        {"kill_at": {"tear": 2}}, {"kill_at": {"node": 4}}],
}


@pytest.mark.parametrize("anchor", list(ANCHORS))
def test_kill_at_an_anchored_moment(anchor: str, server: Server, reference: dict[str, Any], tmp_path: Path) -> None:
    assert killed_and_resumed(server, tmp_path, ANCHORS[anchor]) == reference["outcome"]


@pytest.mark.parametrize("nth", [1, 4, 12])
def test_kill_while_git_holds_a_lock(nth: int, server: Server, reference: dict[str, Any], tmp_path: Path) -> None:
    """Killed with git mid-operation, the run's worktree keeps git's lock; resume clears it."""
    repo = trial_repo(tmp_path / "repo")
    [locks] = run_to_the_end(server, repo, [{"kill_at": {"git_lock": nth}}], tmp_path / "log")
    assert locks, "no git lock was left by the kill"
    assert outcome(repo, server.home) == reference["outcome"]


def test_kill_at_random_instants(server: Server, reference: dict[str, Any], tmp_path: Path) -> None:
    """Hundreds of kills. The first of each trial falls evenly from the run's first millisecond
    to its end; each resumed attempt is then killed at a random instant of its first fifth of
    a run's time (so kills also land while a resume starts up), until an attempt outlives its
    kill or the trial has had its kills, and the run ends. How many kills land depends on how
    fast resumes are on the machine, so rounds of trials go on until enough have."""
    rng = random.Random(14)
    span = reference["seconds"] * 1.1
    landed = 0
    trial = 0
    while trial < RANDOM_TRIALS or (landed < MIN_RANDOM_KILLS and trial < MAX_RANDOM_TRIALS):

        def kill(i: int, slot: int = trial % RANDOM_TRIALS) -> dict[str, Any]:
            if i >= KILLS_PER_TRIAL:
                return {}
            if i == 0:
                return {"kill_after": 0.001 if slot == 0 else span * (slot + rng.random()) / RANDOM_TRIALS}
            return {"kill_after": rng.uniform(0.001, span / 5)}

        repo = trial_repo(tmp_path / f"repo{trial}")
        landed += len(run_to_the_end(server, repo, kill, tmp_path / f"log{trial}"))
        result, expected = outcome(repo, server.home), reference["outcome"]
        differs = {k: (v, expected[k]) for k, v in result.items() if v != expected[k]}
        assert not differs, f"trial {trial}: {differs}\n{(tmp_path / f'log{trial}').read_text()[-3000:]}"
        trial += 1
    print(f"{landed} kills landed in {trial} trials")
    assert landed >= MIN_RANDOM_KILLS


NO_BWRAP = pytest.mark.skipif(shutil.which("bwrap") is None, reason="bubblewrap is not installed")


@NO_BWRAP
def test_bwrap_checks_leave_no_scratch_copy(server: Server, tmp_path: Path) -> None:
    """Killed mid-check, bwrap's repository copy is swept when the run resumes."""
    tmpdir = Path(tempfile.mkdtemp(dir="/tmp"))  # a folder the sandbox user can reach
    tmpdir.chmod(0o711)
    try:
        kills = [{"kill_at": {"after": "agent.sandbox.bwrap_runner:make_copy", "nth": n}} for n in (1, 2, 3)]
        repo = trial_repo(tmp_path / "repo")
        env = {"TMPDIR": str(tmpdir)}
        assert len(run_to_the_end(server, repo, kills, tmp_path / "log", sandbox="bwrap", env=env)) == 3
        result = outcome(repo, server.home)
        assert result["refs"] == ["stage-1", "stage-2"] and result["verify"] == 0 and result["audit_verify"] == 0
        assert list(tmpdir.rglob("bwrap-*")) == []
    finally:
        shutil.rmtree(tmpdir, ignore_errors=True)


@NO_BWRAP
def test_bwrap_checks_work_as_root_under_a_closed_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """As root, TMPDIR below a mode-0700 folder (pytest's own tmp) is unreachable for the sandbox
    user; the copy goes to /tmp instead of failing with "Can't find source path"."""
    from agent.sandbox.base import Limits
    from agent.sandbox.bwrap_runner import BwrapRunner

    if os.geteuid() != 0:
        pytest.skip("only root runs the sandbox as another user")
    closed = tmp_path / "closed"
    (closed / "tmp").mkdir(parents=True)
    closed.chmod(0o700)
    monkeypatch.setattr(tempfile, "tempdir", str(closed / "tmp"))
    work = tmp_path / "work"
    work.mkdir()
    (work / "f.txt").write_text("seen\n")
    result = BwrapRunner().run(work, ["cat", "f.txt"], Limits(timeout_s=60))
    assert (result.exit_code, result.output) == (0, "seen\n")
