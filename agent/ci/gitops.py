"""The few git plumbing calls CI mode needs, each failing as one line that names the fix."""

from __future__ import annotations

from pathlib import Path

from agent.errors import AgentError
from agent.vcs import git as vcs


def git(repo: Path, *args: str, input_bytes: bytes | None = None, check: bool = True) -> str:
    """git's output in ``repo``, stripped; a failure is an ``AgentError`` quoting git's message
    (or, with ``check=False``, an empty string)."""
    if check:
        return vcs.out(repo, *args, input=input_bytes).strip()
    proc = vcs.run(repo, *args, input=input_bytes)
    return proc.stdout.decode(errors="replace").strip() if proc.returncode == 0 else ""


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

