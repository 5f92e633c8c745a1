"""The few git plumbing calls CI mode needs, each failing as one line that names the fix."""

from __future__ import annotations

import subprocess
from pathlib import Path

from agent.errors import AgentError

IDENTITY = ("-c", "user.name=agent", "-c", "user.email=agent@localhost")


def git(repo: Path, *args: str, input_bytes: bytes | None = None, check: bool = True) -> str:
    """Run git in ``repo``; a failure becomes an ``AgentError`` quoting git's own message."""
    proc = subprocess.run(["git", *args], cwd=repo, input=input_bytes, capture_output=True)
    if check and proc.returncode:
        err = proc.stderr.decode(errors="replace").strip().splitlines()
        raise AgentError(f"git {args[0]} failed in {repo}: {err[-1] if err else 'no message'}")
    return proc.stdout.decode(errors="replace").strip() if proc.returncode == 0 else ""


def blob(repo: Path, rev: str, path: str) -> bytes | None:
    """The bytes of ``path`` at ``rev``, or None when it is not there."""
    proc = subprocess.run(["git", "cat-file", "blob", f"{rev}:{path}"], cwd=repo, capture_output=True)
    return proc.stdout if proc.returncode == 0 else None


def current_branch(repo: Path) -> str | None:
    return git(repo, "symbolic-ref", "-q", "--short", "HEAD", check=False) or None


def check_remote(repo: Path, remote: str) -> None:
    """A remote is a configured name or a URL/path; an unknown name stops before any work."""
    if "/" in remote or ":" in remote:
        return
    if not git(repo, "remote", "get-url", remote, check=False):
        raise AgentError(f"{repo} has no git remote '{remote}': add it with 'git remote add' or pass --remote NAME|URL")


def changed_files(repo: Path, commit: str) -> list[str]:
    """Paths a (non-merge) commit changes against its parent."""
    out = git(repo, "diff-tree", "--no-commit-id", "--name-only", "-r", "-z", commit)
    return [p for p in out.split("\0") if p]


def ok(repo: Path, *args: str) -> bool:
    """Whether a git command succeeds (for questions like 'is A an ancestor of B?')."""
    return subprocess.run(["git", *args], cwd=repo, capture_output=True).returncode == 0
