"""The run's own git worktree on branch ``agent/RUN``, its checkpoints and rollback.

Everything a run changes happens here; the user's working tree, index and uncommitted work
are never touched. Each applied stage is a commit plus a ref ``refs/agent/RUN/stage-N``;
rolling back moves the branch to the last good checkpoint.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import git

from agent.errors import AgentError

IDENTITY = ("-c", "user.name=agent", "-c", "user.email=agent@localhost")


def exclude_run_files(repo: Path) -> None:
    """Keep ``.agent/`` (run files, worktrees, caches) out of the user's ``git status``."""
    common = Path(git.Repo(repo).git.rev_parse("--git-common-dir"))
    exclude = (repo / common if not common.is_absolute() else common) / "info" / "exclude"
    exclude.parent.mkdir(parents=True, exist_ok=True)
    lines = exclude.read_text().splitlines() if exclude.exists() else []
    if "/.agent/" not in lines:
        exclude.write_text("\n".join([*lines, "/.agent/"]) + "\n")


class RunWorktree:
    def __init__(self, repo: Path, run_id: str, path: Path) -> None:
        self.repo = repo
        self.run_id = run_id
        self.path = path
        self.branch = f"agent/{run_id}"

    def _git(self, *args: str) -> str:
        try:
            return str(git.Git(self.path).execute(["git", *args]))
        except git.GitCommandError as err:
            raise AgentError(f"git {args[0]} failed in the run worktree: {err.stderr.strip()}") from None

    def create(self, base_commit: str) -> None:
        """Create the worktree and branch at ``base_commit``; a no-op if they already exist."""
        exclude_run_files(self.repo)
        if (self.path / ".git").exists():
            return
        main = git.Repo(self.repo)
        main.git.worktree("prune")
        if self.branch in [h.name for h in main.heads]:
            main.git.worktree("add", str(self.path), self.branch)
        else:
            main.git.worktree("add", "-q", "-b", self.branch, str(self.path), base_commit)

    def head(self) -> str:
        return self._git("rev-parse", "HEAD")

    def reset(self, commit: str) -> None:
        """Put the worktree exactly at ``commit``: tracked files reset, everything else removed."""
        self._git("reset", "-q", "--hard", commit)
        self._git("clean", "-q", "-fdx")

    def diff_for(self, contents: dict[str, str]) -> str:
        """The patch that turns HEAD into HEAD with ``contents`` written; the worktree is left clean."""
        head = self.head()
        try:
            for rel, text in contents.items():
                target = self.path / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(text, encoding="utf-8", errors="surrogateescape")
            self._git("add", "-A")
            patch = self._git("diff", "--cached", "--binary", "HEAD")
        finally:
            self.reset(head)
        return patch + "\n" if patch and not patch.endswith("\n") else patch

    def apply(self, patch: str) -> None:
        """Apply ``patch`` to the worktree and index, or raise without changing anything."""
        proc = subprocess.run(
            ["git", "apply", "--index", "--whitespace=nowarn", "-"],
            cwd=self.path,
            input=patch.encode(),
            capture_output=True,
        )
        if proc.returncode:
            raise AgentError(f"the patch does not apply: {proc.stderr.decode(errors='replace').strip()}")

    def commit(self, message: str) -> str:
        self._git(*IDENTITY, "commit", "-q", "--allow-empty", "-m", message)
        return self.head()

    def checkpoint_ref(self, stage: int) -> str:
        return f"refs/agent/{self.run_id}/stage-{stage}"

    def set_checkpoint(self, stage: int, commit: str) -> None:
        self._git("update-ref", self.checkpoint_ref(stage), commit)

    def delete_checkpoint(self, stage: int) -> None:
        self._git("update-ref", "-d", self.checkpoint_ref(stage))

    def checkpoints(self) -> dict[int, str]:
        out = self._git("for-each-ref", "--format=%(refname) %(objectname)", f"refs/agent/{self.run_id}/")
        found = {}
        for line in out.splitlines():
            ref, sha = line.split()
            found[int(ref.rsplit("-", 1)[1])] = sha
        return found

    def read(self, rel: str) -> str | None:
        path = self.path / rel
        return path.read_text(encoding="utf-8", errors="replace") if path.is_file() else None
