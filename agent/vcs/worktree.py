"""The run's own git worktree on branch ``agent/RUN``, its checkpoints and rollback.

Everything a run changes happens here; the user's working tree, index and uncommitted work
are never touched. Each applied stage is a commit plus a ref ``refs/agent/RUN/stage-N``;
rolling back moves the branch to the last good checkpoint.
"""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

from agent.errors import AgentError
from agent.vcs import git
from agent.vcs.git import IDENTITY

# A run's commit starts no repository-wide maintenance: killed with the run, it would leave
# objects/maintenance.lock in the user's repository, where no resume may take it away.
NO_MAINTENANCE = ("-c", "maintenance.auto=false", "-c", "gc.auto=0")
LEFTOVER_WAIT_S = 10.0  # how long a resume waits for a killed run's last git to finish
SHARED_LOCK_AGE_S = 2.0  # a live git holds packed-refs.lock for milliseconds, and gives up after 1 s


def exclude_run_files(repo: Path) -> None:
    """Keep ``.agent/`` (run files, worktrees, caches) out of the user's ``git status``."""
    exclude = git.common_dir(repo) / "info" / "exclude"
    exclude.parent.mkdir(parents=True, exist_ok=True)
    lines = exclude.read_text().splitlines() if exclude.exists() else []
    if "/.agent/" in lines:
        return
    tmp = exclude.with_name(f".exclude.{os.getpid()}.tmp")  # a kill mid-write never cuts the user's file
    tmp.write_text("\n".join([*lines, "/.agent/"]) + "\n")
    os.replace(tmp, exclude)


def _admin_dir(worktree: Path) -> Path | None:
    """The worktree's own folder in the repository (``.git/worktrees/NAME``), from its .git file."""
    try:
        text = (worktree / ".git").read_text()
    except OSError:
        return None
    return Path(text.removeprefix("gitdir:").strip()) if text.startswith("gitdir:") else None


def _git_processes_in(folder: Path) -> list[int]:
    """Live git processes working inside ``folder`` (a person's shell there does not count)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cwd = Path(os.readlink(proc / "cwd"))
            name = (proc / "comm").read_text().strip()
        except OSError:
            continue
        if (name == "git" or name.startswith("git-")) and cwd.is_relative_to(folder):
            found.append(int(proc.name))
    return found


class RunWorktree:
    def __init__(self, repo: Path, run_id: str, path: Path) -> None:
        self.repo = repo
        self.run_id = run_id
        self.path = path
        self.branch = f"agent/{run_id}"

    def _git(self, *args: str) -> str:
        return git.out(self.path, *args, what="the run worktree")

    def create(self, base_commit: str) -> None:
        """Create the worktree and branch at ``base_commit``; a no-op if they already exist.

        A worktree half made by a killed ``git worktree add`` is removed and made again.
        """
        exclude_run_files(self.repo)
        if (self.path / ".git").exists():
            if self._usable():
                return
            admin = _admin_dir(self.path)
            if admin is not None:
                shutil.rmtree(admin, ignore_errors=True)
            shutil.rmtree(self.path)
        self._forget_registration(self._common_dir())
        git.out(self.repo, "worktree", "prune")
        if git.ok(self.repo, "show-ref", "--verify", "-q", f"refs/heads/{self.branch}"):
            git.out(self.repo, "worktree", "add", str(self.path), self.branch)
        else:
            git.out(self.repo, "worktree", "add", "-q", "-b", self.branch, str(self.path), base_commit)

    def _usable(self) -> bool:
        """True if git sees a worktree on the run branch here (a killed add may leave HEAD unset)."""
        done = git.run(self.path, "symbolic-ref", "-q", "HEAD")
        return done.returncode == 0 and done.stdout.decode().strip() == f"refs/heads/{self.branch}"

    def _forget_registration(self, common: Path) -> None:
        """Drop the repository's record of this worktree when its folder never got a .git file."""
        for admin in (common / "worktrees").glob("*"):
            try:
                points_here = Path((admin / "gitdir").read_text().strip()) == self.path / ".git"
            except OSError:
                continue
            if points_here:
                shutil.rmtree(admin, ignore_errors=True)

    def clear_stale_locks(self) -> list[Path]:
        """Remove the lock files a killed git left in this run's worktree and on its refs.

        Only the run holding the repository lock calls this, so no git but the run's own works
        here; once the killed run's last git processes are gone, every such lock is stale. The
        repository's packed-refs.lock, which the run's git takes for a moment too, is removed
        only once it has been there longer than any live git holds it. Returns the locks removed.
        """
        deadline = time.monotonic() + LEFTOVER_WAIT_S
        while self.path.is_dir() and (busy := _git_processes_in(self.path)):
            if time.monotonic() > deadline:
                raise AgentError(
                    f"git (process {busy[0]}) still works in the run's worktree {self.path}; "
                    "wait for it to end or stop it, then resume"
                )
            time.sleep(0.05)
        common = self._common_dir()
        locks = [common / "refs" / "heads" / f"{self.branch}.lock",
                 *(common / "refs" / "agent" / self.run_id).glob("*.lock")]
        admin = _admin_dir(self.path)
        if admin is not None and admin.is_dir():
            locks += admin.glob("*.lock")
            initializing = admin / "locked"  # 'git worktree add' killed before it finished
            if initializing.is_file() and initializing.read_text().strip() == "initializing":
                initializing.unlink()
        shared = common / "packed-refs.lock"  # our reset and commit take it too, for a moment
        while shared.is_file() and time.time() - shared.stat().st_mtime < SHARED_LOCK_AGE_S:
            time.sleep(0.05)
        removed = [lock for lock in [*locks, shared] if lock.is_file()]
        for lock in removed:
            lock.unlink(missing_ok=True)
        return removed

    def _common_dir(self) -> Path:
        return git.common_dir(self.repo)

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
        proc = git.run(self.path, "apply", "--index", "--whitespace=nowarn", "-", input=patch.encode())
        if proc.returncode:
            raise AgentError(f"the patch does not apply: {proc.stderr.decode(errors='replace').strip()}")

    def commit(self, message: str) -> str:
        self._git(*IDENTITY, *NO_MAINTENANCE, "commit", "-q", "--allow-empty", "-m", message)
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

    def read_committed(self, rel: str, rev: str = "HEAD") -> str | None:
        """``rel`` as commit ``rev`` has it, whatever the worktree holds now (None if it has no such file)."""
        proc = git.run(self.path, "show", f"{rev}:{rel}")
        return proc.stdout.decode("utf-8", errors="replace") if proc.returncode == 0 else None
