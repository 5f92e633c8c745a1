"""What a killed git leaves in a run's worktree is cleared by the run that owns it, and nothing
else: a person's shell in the worktree, the user's exclude lines, the user's own refs."""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

from agent.vcs.worktree import RunWorktree, exclude_run_files
from tests.conftest import git


def made(py_repo: Path) -> RunWorktree:
    worktree = RunWorktree(py_repo, "run-1", py_repo / ".agent" / "runs" / "run-1" / "worktree")
    worktree.create(git(py_repo, "rev-parse", "HEAD"))
    return worktree


def test_stale_locks_of_the_run_are_removed(py_repo: Path) -> None:
    worktree = made(py_repo)
    admin = Path(git(worktree.path, "rev-parse", "--absolute-git-dir"))
    worktree.set_checkpoint(1, worktree.head())
    locks = [admin / "index.lock", admin / "HEAD.lock", py_repo / ".git/refs/heads/agent/run-1.lock",
             py_repo / ".git/refs/agent/run-1/stage-1.lock"]
    for lock in locks:
        lock.write_text("")
    packed = py_repo / ".git" / "packed-refs.lock"
    packed.write_text("")
    old = time.time() - 60
    os.utime(packed, (old, old))
    user_lock = py_repo / ".git" / "refs" / "heads" / "main.lock"  # the user's own branch: not ours
    user_lock.write_text("")
    assert sorted(worktree.clear_stale_locks()) == sorted([*locks, packed])
    assert user_lock.exists()
    worktree.reset(worktree.head())  # git works again


def test_a_fresh_packed_refs_lock_is_left_to_a_live_git(py_repo: Path) -> None:
    worktree = made(py_repo)
    packed = py_repo / ".git" / "packed-refs.lock"
    packed.write_text("")
    released = subprocess.Popen(["sh", "-c", f"sleep 0.5; rm -f {packed}"])  # a git that finishes
    assert worktree.clear_stale_locks() == []
    released.wait()


def test_a_shell_in_the_worktree_does_not_hold_the_resume_up(py_repo: Path) -> None:
    worktree = made(py_repo)
    shell = subprocess.Popen(["sleep", "30"], cwd=worktree.path)
    try:
        started = time.monotonic()
        assert worktree.clear_stale_locks() == []
        assert time.monotonic() - started < 5
    finally:
        shell.kill()
        shell.wait()


def test_a_worktree_half_made_by_a_killed_add_is_made_again(py_repo: Path) -> None:
    worktree = made(py_repo)
    admin = Path(git(worktree.path, "rev-parse", "--absolute-git-dir"))
    (admin / "HEAD").write_text("0" * 40 + "\n")  # 'git worktree add' killed before it set HEAD
    (admin / "locked").write_text("initializing\n")
    worktree.create(git(py_repo, "rev-parse", "HEAD"))
    assert git(worktree.path, "symbolic-ref", "HEAD") == "refs/heads/agent/run-1"
    assert git(worktree.path, "status", "--porcelain") == ""


def test_a_registered_worktree_without_its_git_file_is_made_again(py_repo: Path) -> None:
    worktree = made(py_repo)
    (worktree.path / ".git").unlink()  # killed after registering, before writing .git
    for item in worktree.path.iterdir():
        subprocess.run(["rm", "-rf", str(item)], check=True)
    worktree.create(git(py_repo, "rev-parse", "HEAD"))
    assert git(worktree.path, "rev-parse", "HEAD") == git(py_repo, "rev-parse", "HEAD")
    assert (worktree.path / "inventory" / "stock.py").is_file()


def test_exclude_keeps_the_users_lines_and_is_written_once(py_repo: Path) -> None:
    exclude = py_repo / ".git" / "info" / "exclude"
    exclude.write_text("# mine\n*.swp\n")
    exclude_run_files(py_repo)
    exclude_run_files(py_repo)
    assert exclude.read_text() == "# mine\n*.swp\n/.agent/\n"
    assert not list(exclude.parent.glob(".exclude.*"))
