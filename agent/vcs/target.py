"""Finding and checking the repository a run targets, before anything is changed.

A bundled example under ``workspaces/`` is not a git repository of its own (our repository
holds no nested ``.git``); it is copied to a scratch directory and made one on first use.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import agent
from agent.errors import AgentError
from agent.home import scratch_workspaces_dir
from agent.vcs import git

BUNDLED_DIR = Path(agent.__file__).resolve().parent.parent / "workspaces"


def _git(repo: Path, *args: str) -> str:
    return git.out(repo, *args).strip()


def _toplevel(path: Path) -> Path | None:
    out = git.run(path, "rev-parse", "--show-toplevel")
    return Path(out.stdout.decode().strip()).resolve() if out.returncode == 0 else None


def is_bundled(path: Path) -> bool:
    return path.resolve().parent == BUNDLED_DIR and (path / "README.md").is_file()


def materialise_bundled(path: Path, say: Callable[[str], None] = print) -> Path:
    """Copy a bundled example to scratch space as a git repository (once) and return it."""
    dest = scratch_workspaces_dir() / path.name
    if (dest / ".git").exists():
        say(f"Using the git copy of bundled example {path.name} at {dest}")
        return dest
    say(f"Bundled example {path.name} is not a git repository; copying it to {dest} and running git init there")
    tmp = dest.with_name(dest.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(path, tmp, ignore=shutil.ignore_patterns("__pycache__", "*.o", "*.pyc", ".pytest_cache"))
    for args in (
        ("init", "-q", "-b", "main"),
        ("add", "-A"),
        (
            "-c",
            "user.name=agent",
            "-c",
            "user.email=agent@localhost",
            "commit",
            "-q",
            "-m",
            f"{path.name}: bundled example",
        ),
    ):
        _git(tmp, *args)
    tmp.rename(dest)
    return dest


def resolve_target(path: Path, allow_dirty: bool = False, say: Callable[[str], None] = print) -> Path:
    """Return the repository's top level, or raise a one-line error that says what to do."""
    if not path.exists():
        raise AgentError(f"{path} does not exist: give the path of a git repository")
    if not path.is_dir():
        raise AgentError(f"{path} is not a directory: give the path of a git repository")
    path = path.resolve()
    top = _toplevel(path)
    if top != path and is_bundled(path):
        return materialise_bundled(path, say)
    if top is None:
        raise AgentError(f"{path} is not a git repository: run 'git init' and commit your files there first")
    if top != path:
        raise AgentError(f"{path} is inside the git repository {top}: point agent at {top}")
    if not git.ok(path, "rev-parse", "--verify", "-q", "HEAD"):
        raise AgentError(f"{path} has no commits yet: commit your files first, the run starts from HEAD")
    if not allow_dirty and _git(path, "status", "--porcelain", "--untracked-files=no"):
        raise AgentError(
            f"{path} has uncommitted changes: commit or stash them, or pass --allow-dirty "
            "to start from HEAD without them (they stay untouched either way)"
        )
    return path
