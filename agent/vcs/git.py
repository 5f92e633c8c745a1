"""The one place agent runs git: every room's git command goes through ``run``.

git itself (not a library's model of it) reads and writes every repository, so what a person
sees with git is what agent saw. Commits agent makes carry one identity, ``IDENTITY``.
"""

from __future__ import annotations

import subprocess
from collections.abc import Mapping
from pathlib import Path

from agent.errors import AgentError

IDENTITY = ("-c", "user.name=agent", "-c", "user.email=agent@localhost")


def run(where: Path | str, *args: str, input: bytes | None = None, env: Mapping[str, str] | None = None,
        timeout: float | None = None) -> subprocess.CompletedProcess[bytes]:
    """``git ARGS`` in ``where``, its output kept as bytes; git's own failure is in the result."""
    return subprocess.run(["git", *args], cwd=where, input=input, capture_output=True, env=env, check=False,
                          timeout=timeout)


def out(where: Path | str, *args: str, input: bytes | None = None, what: str = "") -> str:
    """The text git prints (without its last newline), or ``AgentError`` quoting git's message.

    ``what`` names the place in the message (default: the folder)."""
    proc = run(where, *args, input=input)
    if proc.returncode:
        said = " ".join(proc.stderr.decode(errors="replace").split())[:400] or "no message"
        raise AgentError(f"git {args[0]} failed in {what or where}: {said}")
    text = proc.stdout.decode("utf-8", errors="surrogateescape")
    return text[:-1] if text.endswith("\n") else text


def ok(where: Path | str, *args: str) -> bool:
    """Whether a git command succeeds (for questions like 'is A an ancestor of B?')."""
    return run(where, *args).returncode == 0


def blob(repo: Path, rev: str, path: str) -> bytes | None:
    """The bytes of ``path`` at ``rev``, or None when it is not there."""
    proc = run(repo, "cat-file", "blob", f"{rev}:{path}")
    return proc.stdout if proc.returncode == 0 else None


def common_dir(repo: Path) -> Path:
    """The repository's shared git folder (``.git`` of the main worktree), absolute."""
    common = Path(out(repo, "rev-parse", "--git-common-dir"))
    return common if common.is_absolute() else repo / common
