"""The run branch as git holds it: one unbroken line of stage commits from the base, then only
commits that add signatures (the CI proposal record), and whether a commit is exactly a signed
patch applied to its parent.

``agent verify`` and ``agent ci apply`` both read the branch through here, so a stage commit
amended after signing, or a commit added on top of the stages, is found the same way by both.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from agent.vcs import git

RECORD_ROOT = ".agent-approvals"  # the CI proposal record; never lands on the target


@dataclass(frozen=True)
class Commit:
    """A code commit on the branch: its id, its one parent and its subject line (for messages)."""

    sha: str
    parent: str
    subject: str


def _git(repo: Path, *args: str, data: bytes | None = None, env: dict[str, str] | None = None) -> str | None:
    proc = git.run(repo, *args, input=data, env=env)
    return proc.stdout.decode(errors="replace").strip() if proc.returncode == 0 else None


def resolve(repo: Path, rev: str) -> str | None:
    """The commit ``rev`` names, or None when the repository has no such commit."""
    return _git(repo, "rev-parse", "-q", "--verify", f"{rev}^{{commit}}")


def changed_files(repo: Path, commit: str) -> list[str]:
    """Paths a (non-merge) commit changes against its parent, exactly as stored (``-z``)."""
    out = _git(repo, "diff-tree", "--no-commit-id", "--name-only", "-r", "-z", commit) or ""
    return [p for p in out.split("\0") if p]


def is_patch_on(repo: Path, patch: bytes, commit: Commit) -> bool:
    """Whether ``commit``'s tree is exactly ``patch`` applied to its parent's tree.

    Applied in a throwaway index, so no worktree or checkout is needed or touched.
    """
    with tempfile.TemporaryDirectory(prefix="agent-line-") as tmp:
        env = {**os.environ, "GIT_INDEX_FILE": str(Path(tmp) / "index")}
        if _git(repo, "read-tree", commit.parent, env=env) is None:
            return False
        if _git(repo, "apply", "--cached", "--whitespace=nowarn", "-", data=patch, env=env) is None:
            return False
        tree = _git(repo, "write-tree", env=env)
    return tree is not None and tree == _git(repo, "rev-parse", f"{commit.sha}^{{tree}}")


def stage_commits(repo: Path, base: str, head: str, problems: list[str]) -> list[Commit]:
    """The code commits of ``base..head`` in order; each problem with the line goes to ``problems``.

    The line must be linear and start at ``base``; commits that touch only ``RECORD_ROOT`` (the
    proposal record and signatures) may follow the code commits, nothing else may.
    """
    if _git(repo, "merge-base", "--is-ancestor", base, head) is None:
        problems.append(f"the branch does not grow from its base {base[:10]}")
        return []
    out = _git(repo, "rev-list", "--reverse", "--parents", f"{base}..{head}") or ""
    code: list[Commit] = []
    previous, record_seen = base, False
    for line in out.splitlines():
        sha, *parents = line.split()
        subject = _git(repo, "show", "-s", "--format=%s", sha) or ""
        if len(parents) != 1:
            problems.append(f"commit {sha[:10]} is a merge; the run branch must be one line of commits")
            return code
        if parents[0] != previous:
            problems.append(f"commit {sha[:10]} does not sit on {previous[:10]}; the line from the base is broken")
            return code
        previous = sha
        paths = changed_files(repo, sha)
        in_record = [p for p in paths if p.startswith(RECORD_ROOT + "/")]
        if in_record and len(in_record) != len(paths):
            problems.append(f"commit {sha[:10]} mixes signatures with code changes; keep them apart")
        elif in_record:
            record_seen = True
        elif record_seen:
            what = paths[0] if paths else "nothing"
            problems.append(f"commit {sha[:10]} ({subject}) changes {what} after the stages; no signature covers it")
        else:
            code.append(Commit(sha, parents[0], subject))
    return code
